#include "convert.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "schemas.h"

#include "meshproof/engine/numeric.h"
#include "meshproof/engine/quantity.h"
#include "meshproof/engine/text.h"

namespace meshproof {
namespace {

using schema::SmiKind;
using yaml::Node;
using yaml::ScalarType;

// ---------------------------------------------------------------------------------------
// Small readers. The validator has already reported wrong types; readers return nothing
// for them so extraction skips what is invalid.

const Node* Child(const Node* n, std::string_view key) {
  if (n == nullptr) return nullptr;
  const Node* v = n->Get(key);
  return (v == nullptr || v->IsNull()) ? nullptr : v;
}

std::optional<std::string> String(const Node* n) {
  if (n == nullptr || !n->IsScalar() || n->Type() != ScalarType::kString) return std::nullopt;
  return n->value;
}
std::string StringOr(const Node* n, std::string fallback = "") {
  auto s = String(n);
  return s ? *s : std::move(fallback);
}

std::optional<long long> Integer(const Node* n) {
  if (n == nullptr || !n->IsScalar() || n->Type() != ScalarType::kInt) return std::nullopt;
  std::string digits;
  for (char c : n->value) {
    if (c != '_') digits += c;
  }
  try {
    std::size_t used = 0;
    long long v = std::stoll(digits, &used, 0);
    if (used != digits.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;  // out of range
  }
}

Labels StringMap(const Node* n) {
  Labels out;
  if (n == nullptr || !n->IsMap()) return out;
  for (std::size_t i = 0; i < n->MapSize(); ++i) {
    auto v = String(n->Value(i));
    if (n->Key(i)->IsScalar() && v) out[n->Key(i)->value] = *v;
  }
  return out;
}

std::vector<const Node*> Items(const Node* n) {
  if (n == nullptr || !n->IsSeq()) return {};
  return n->children;
}

// RFC 1123 label: what Kubernetes requires of a namespace name.
bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return s.front() != '-' && s.back() != '-';
}

std::string VersionName(int v) { return "v1alpha" + std::to_string(v); }

// ---------------------------------------------------------------------------------------

class ObjectConverter {
 public:
  ObjectConverter(ConvertContext& ctx, const Node* obj, std::string prefix)
      : ctx_(ctx), obj_(obj), prefix_(std::move(prefix)) {}

  void Run() {
    auto kind = String(Child(obj_, "kind"));
    if (!kind) {
      Report(DiagCode::MP0002, obj_, "kind",
             Child(obj_, "kind") ? "kind: expected a string" : "object has no kind");
      return;
    }
    kind_ = *kind;
    api_version_ = StringOr(Child(obj_, "apiVersion"));
    if (auto smi = SmiKindOf(kind_)) {
      ConvertSmi(*smi);
    } else if (schema::KubernetesSchema(kind_) != nullptr && IsKubernetesGroup()) {
      ConvertKubernetes();
    } else {
      std::string key = (api_version_.empty() ? "?" : api_version_) + "/" + kind_;
      ctx_.model->skipped[key]++;
      ReportUnknownSmiKind();
    }
  }

 private:
  // --- locations and reporting ---------------------------------------------------------

  Loc At(const Node* n, const std::string& path) const {
    return Loc{ctx_.file, n->line, n->column, prefix_ + path};
  }
  Diagnostic& Report(DiagCode code, const Node* n, const std::string& path, std::string msg) {
    std::optional<ObjectRef> ref;
    if (!meta_.name.empty()) ref = meta_.ref();
    return ctx_.diags->Report(code, At(n, path), std::move(msg), ref);
  }

  // --- kinds and versions --------------------------------------------------------------

  // A kind an SMI API group does not define is almost always a typo ("TrafficTargett"):
  // the object would be rejected by the API server, and skipping it silently would hide a
  // policy the author believes is in force.
  void ReportUnknownSmiKind() {
    const std::string group = api_version_.substr(0, api_version_.find('/'));
    const std::string suffix = ".smi-spec.io";
    if (group.size() <= suffix.size() ||
        group.compare(group.size() - suffix.size(), suffix.size(), suffix) != 0)
      return;
    static const char* const kKinds[] = {"TrafficTarget",     "HTTPRouteGroup", "TCPRoute",
                                         "UDPRoute",          "TrafficSplit",   "TrafficMetrics",
                                         "TrafficMetricsList"};
    std::string best;
    std::size_t best_distance = 3;
    for (const char* k : kKinds) {
      if (kind_ == k) return;  // known (TrafficMetrics is read by the simulator, not here)
      const std::size_t d = EditDistance(kind_, k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    Report(DiagCode::MP0009, Child(obj_, "kind"), "kind",
           "kind " + Abbreviate(kind_, 80) + " is not a kind of " + group +
               (best.empty() ? "; the object is skipped"
                             : "; did you mean " + best + "? The object is skipped"));
  }

  static std::size_t EditDistance(const std::string& a, const std::string& b) {
    if (a.size() > 64) return 99;  // a long name is no typo of a short one
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  }

  static std::optional<SmiKind> SmiKindOf(const std::string& kind) {
    for (SmiKind k : {SmiKind::kTrafficTarget, SmiKind::kHTTPRouteGroup, SmiKind::kTCPRoute,
                      SmiKind::kUDPRoute, SmiKind::kTrafficSplit}) {
      if (kind == schema::SmiKindName(k)) return k;
    }
    return std::nullopt;
  }

  bool IsKubernetesGroup() const {
    if (kind_ == "Namespace" || kind_ == "ServiceAccount" || kind_ == "Service" || kind_ == "Pod") {
      return api_version_ == "v1" || api_version_.empty();
    }
    // apps/v1 and the legacy groups older charts still render.
    return api_version_ == "apps/v1" || api_version_ == "apps/v1beta1" ||
           api_version_ == "apps/v1beta2" || api_version_ == "extensions/v1beta1" ||
           api_version_.empty();
  }

  // Reads the SMI version from apiVersion, or infers it, reporting MP0003 when it had to
  // guess. Returns 0 when the object belongs to some other API group.
  int ResolveSmiVersion(SmiKind k) {
    const std::string group = schema::SmiGroup(k);
    const auto& versions = schema::SmiVersions(k);
    const Node* av = Child(obj_, "apiVersion");
    if (api_version_.empty()) {
      int v = InferVersion(k);
      inferred_ = true;
      Report(
          DiagCode::MP0003, av ? av : obj_, "apiVersion",
          "apiVersion missing; read as " + group + "/" + VersionName(v) + " (" + infer_why_ + ")");
      return v;
    }
    std::string g, ver;
    if (auto slash = api_version_.find('/'); slash != std::string::npos) {
      g = api_version_.substr(0, slash);
      ver = api_version_.substr(slash + 1);
    } else {
      ver = api_version_;
    }
    // Another API group that happens to use an SMI kind name is not ours.
    if (!g.empty() && !g.ends_with(".smi-spec.io")) return 0;
    int v = 0;
    if (ver.size() == 8 && ver.substr(0, 7) == "v1alpha" && ver[7] >= '1' && ver[7] <= '9') {
      v = ver[7] - '0';
    }
    const bool known = std::find(versions.begin(), versions.end(), v) != versions.end();
    if (g.empty()) {
      int use = known ? v : InferVersion(k);
      Report(DiagCode::MP0003, av, "apiVersion",
             "apiVersion '" + api_version_ + "' has no API group; read as " + group + "/" +
                 VersionName(use));
      return use;
    }
    if (g != group) {
      int use = known ? v : versions.back();
      Report(DiagCode::MP0003, av, "apiVersion",
             kind_ + " belongs to API group " + group + ", not " + g + "; read as " + group + "/" +
                 VersionName(use));
      return use;
    }
    if (!known) {
      int use = versions.back();
      Report(DiagCode::MP0003, av, "apiVersion",
             "unknown version " + api_version_ + " of " + kind_ + " (known: " + KnownList(k) +
                 "); read with the " + VersionName(use) + " schema");
      return use;
    }
    if (k == SmiKind::kTrafficTarget && v == 4) {
      Report(DiagCode::MP0003, av, "apiVersion",
             "access.smi-spec.io/v1alpha4 is an unreleased draft (no released CRD serves it); "
             "read as v1alpha3 plus IdentityBinding subjects");
    }
    return v;
  }

  static std::string KnownList(SmiKind k) {
    std::string out;
    for (int v : schema::SmiVersions(k)) out += (out.empty() ? "" : ", ") + VersionName(v);
    return out;
  }

  // Infers a version from the envelope's shape (docs/reference/smi-semantics.md section 0: the spec
  // documents omit apiVersion).
  int InferVersion(SmiKind k) {
    const Node* spec = Child(obj_, "spec");
    switch (k) {
      case SmiKind::kTrafficTarget: {
        if (Child(obj_, "destination") || Child(obj_, "specs")) {
          infer_why_ = "destination at the top level, as in v1alpha1";
          return 1;
        }
        const Node* dest = Child(spec, "destination");
        if (Child(dest, "group") || StringOr(Child(dest, "kind")) == "IdentityBinding") {
          infer_why_ = "IdentityBinding subject, as in the v1alpha4 draft";
          return 4;
        }
        if (Child(dest, "port")) {
          infer_why_ = "destination.port, which v1alpha3 removed";
          return 2;
        }
        infer_why_ = "spec without destination.port, the newest released shape";
        return 3;
      }
      case SmiKind::kHTTPRouteGroup: {
        if (const Node* m = Child(obj_, "matches"); m && !spec) {
          for (const Node* item : Items(m)) {
            if (Child(item, "headers")) {
              infer_why_ = "top-level matches with headers, as in v1alpha2";
              return 2;
            }
          }
          infer_why_ = "top-level matches without headers, as in v1alpha1";
          return 1;
        }
        infer_why_ = "matches under spec, the newest shape";
        return 4;
      }
      case SmiKind::kTCPRoute:
        if (Child(spec, "matches")) {
          infer_why_ = "spec.matches, as in v1alpha4";
          return 4;
        }
        if (spec) {
          infer_why_ = "an empty spec, as in v1alpha3";
          return 3;
        }
        infer_why_ = "no spec, as in v1alpha1-v1alpha2";
        return 2;
      case SmiKind::kUDPRoute:
        infer_why_ = "UDPRoute exists only in v1alpha4";
        return 4;
      case SmiKind::kTrafficSplit: {
        if (Child(spec, "matches")) {
          infer_why_ = "spec.matches, as in v1alpha3+";
          return 4;
        }
        for (const Node* b : Items(Child(spec, "backends"))) {
          const Node* w = Child(b, "weight");
          if (w && w->IsScalar() && w->Type() != ScalarType::kInt && ParseQuantity(w->value)) {
            infer_why_ = "quantity weights such as '" + w->value + "', as in v1alpha1";
            return 1;
          }
        }
        infer_why_ = "integer weights, the newest shape";
        return 4;
      }
    }
    return 1;
  }

  // For MP0004: where does an unknown field belong instead?
  std::string WhereElse(SmiKind k, int version, const std::string& path) const {
    auto resolves = [](const schema::Schema* s, const std::string& p) {
      std::size_t start = 0;
      while (s != nullptr && start <= p.size()) {
        std::size_t dot = p.find('.', start);
        std::string part =
            p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (auto br = part.find('['); br != std::string::npos) part = part.substr(0, br);
        const schema::Schema* f = s->Field(part);
        if (f == nullptr) return false;
        s = f;
        while (s->type == schema::Type::kArray) s = &s->element[0];
        if (dot == std::string::npos) return true;
        start = dot + 1;
      }
      return false;
    };
    const schema::Schema* self = schema::SmiSchema(k, version);
    if (path.rfind("spec.", 0) != 0 && resolves(self, "spec." + path)) {
      return "in " + VersionName(version) + " it belongs under spec";
    }
    if (path.rfind("spec.", 0) == 0 && resolves(self, path.substr(5))) {
      return "in " + VersionName(version) + " it belongs at the top level, not under spec";
    }
    // The same field in another version, at the same level or across the envelope
    // change (top level in old versions, under spec in new ones).
    const std::string moved = path.rfind("spec.", 0) == 0 ? path.substr(5) : "spec." + path;
    std::string others;
    for (int v : schema::SmiVersions(k)) {
      if (v == version) continue;
      const schema::Schema* s = schema::SmiSchema(k, v);
      if (resolves(s, path)) {
        others += (others.empty() ? "" : ", ") + VersionName(v);
      } else if (resolves(s, moved)) {
        others += (others.empty() ? "" : ", ") + VersionName(v) + " (as " + moved + ")";
      }
    }
    if (!others.empty()) return "it exists in " + others + " only";
    return "";
  }

  // --- field locations -----------------------------------------------------------------

  // Records every field of the object with its line and column (ObjectMeta::fields).
  void RecordFields() {
    constexpr std::size_t kMaxFields = 4096;  // bounds work on huge or alias-heavy objects
    std::vector<FieldLocation>& out = meta_.fields;
    std::string path;
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a over "path=value" records
    auto mix = [&hash](std::string_view bytes) {
      for (unsigned char c : bytes) {
        hash ^= c;
        hash *= 1099511628211ull;
      }
    };
    std::function<void(const Node*, int)> walk = [&](const Node* n, int depth) {
      if (out.size() >= kMaxFields || depth > 32) return;
      if (!path.empty()) out.push_back({path, n->line, n->column});
      mix(path);
      mix(n->IsScalar() ? "=" : n->IsMap() ? "{" : n->IsSeq() ? "[" : "~");
      if (n->IsScalar()) {
        mix(n->value);
        mix(n->quoted ? "\x01" : "\x02");  // "1" and 1 differ
      }
      const std::size_t keep = path.size();
      if (n->IsMap()) {
        for (std::size_t i = 0; i < n->MapSize(); ++i) {
          if (!n->Key(i)->IsScalar()) continue;
          if (!path.empty()) path += '.';
          path += n->Key(i)->value;
          walk(n->Value(i), depth + 1);
          path.resize(keep);
        }
      } else if (n->IsSeq()) {
        for (std::size_t i = 0; i < n->children.size(); ++i) {
          path += '[' + std::to_string(i) + ']';
          walk(n->children[i], depth + 1);
          path.resize(keep);
        }
      }
    };
    walk(obj_, 0);
    mix(prefix_.empty() ? ""
                        : "\x03");  // the List envelope does not matter, but keep objects apart
    meta_.content_hash = hash;
    std::sort(out.begin(), out.end(),
              [](const FieldLocation& a, const FieldLocation& b) { return a.path < b.path; });
  }

  // --- metadata ------------------------------------------------------------------------

  // Why an object has no usable name: every case is reported, none vanishes.
  void ReportUnusableName(const Node* md, const Node* name_node) {
    const std::string ignored = "; object ignored";
    if (md && !name_node && Child(md, "generateName")) {
      Report(DiagCode::MP0002, md, "metadata.name",
             kind_ +
                 " uses generateName; meshproof needs a fixed metadata.name to resolve "
                 "references, object ignored");
    } else if (md == nullptr || !name_node ||
               (name_node->IsScalar() && name_node->Type() == ScalarType::kNull)) {
      Report(DiagCode::MP0002, md ? md : obj_, "metadata.name",
             kind_ + " has no metadata.name" + ignored);
    } else if (!name_node->IsScalar()) {
      Report(DiagCode::MP0002, name_node, "metadata.name",
             kind_ + "'s metadata.name is a " + (name_node->IsMap() ? "map" : "list") +
                 ", not a string" + ignored);
    } else if (name_node->Type() != ScalarType::kString) {
      Report(DiagCode::MP0002, name_node, "metadata.name",
             kind_ + "'s metadata.name " + name_node->value + " is a " +
                 ScalarTypeName(name_node->Type()) + ", not a string (quote it)" + ignored);
    } else {
      Report(DiagCode::MP0002, name_node, "metadata.name",
             kind_ + "'s metadata.name is empty" + ignored);
    }
  }

  static const char* ScalarTypeName(ScalarType t) {
    switch (t) {
      case ScalarType::kInt:
        return "number";
      case ScalarType::kFloat:
        return "number";
      case ScalarType::kBool:
        return "boolean";
      case ScalarType::kNull:
        return "null";
      default:
        return "string";
    }
  }

  static bool IsDnsSubdomain(const std::string& n) {
    if (n.size() > 253) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const char c = n[i];
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-' && c != '.') return false;
      if ((i == 0 || i + 1 == n.size()) && !alnum) return false;
    }
    return true;
  }

  // Fills meta_; false when the object cannot be identified (no name).
  bool ReadMeta(bool namespaced) {
    meta_.kind = kind_;
    meta_.api_version = api_version_;
    meta_.loc = At(obj_, "");
    const Node* md = Child(obj_, "metadata");
    const Node* name_node = Child(md, "name");
    auto name = String(name_node);
    if (!name || name->empty()) {
      ReportUnusableName(md, name_node);
      return false;
    }
    if (!IsDnsSubdomain(*name)) {
      // The API server refuses the object; keep it so the rest of the analysis still runs.
      Report(DiagCode::MP0002, name_node, "metadata.name",
             "metadata.name '" + Abbreviate(*name, 80) +
                 "' is not a valid object name (RFC 1123 subdomain: lower-case letters, "
                 "digits, '-' and '.', at most 253 characters); the API server rejects it");
    }
    meta_.name = *name;
    meta_.labels = StringMap(Child(md, "labels"));
    if (!namespaced) return true;
    const Node* nsnode = Child(md, "namespace");
    if (auto ns = String(nsnode); ns && !ns->empty()) {
      meta_.namespace_ = *ns;
      if (!IsDnsLabel(*ns)) {
        Report(DiagCode::MP0002, nsnode, "metadata.namespace",
               "metadata.namespace '" + *ns +
                   "' is not a valid namespace name (RFC 1123 label: lower-case letters, digits "
                   "and '-'; a template placeholder left unfilled?)");
      }
    } else {
      meta_.namespace_ = ctx_.default_namespace;
      meta_.namespace_defaulted = true;
    }
    return true;
  }

  // --- SMI -----------------------------------------------------------------------------

  void ConvertSmi(SmiKind k) {
    int version = ResolveSmiVersion(k);
    if (version == 0) {
      ctx_.model->skipped[api_version_ + "/" + kind_]++;
      return;
    }
    if (!ReadMeta(true)) {
      ValidateSmi(k, version);  // still report schema problems of the nameless object
      return;
    }
    if (inferred_) {
      meta_.api_version = std::string(schema::SmiGroup(k)) + "/" + VersionName(version);
      meta_.api_version_inferred = true;
    }
    meta_.smi_version = version;
    RecordFields();
    ValidateSmi(k, version);
    switch (k) {
      case SmiKind::kTrafficTarget:
        ExtractTrafficTarget(version);
        break;
      case SmiKind::kHTTPRouteGroup:
        ExtractHTTPRouteGroup(version);
        break;
      case SmiKind::kTCPRoute:
      case SmiKind::kUDPRoute:
        ExtractL4Route(k, version);
        break;
      case SmiKind::kTrafficSplit:
        ExtractTrafficSplit(version);
        break;
    }
  }

  void ValidateSmi(SmiKind k, int version) {
    schema::Context sc;
    sc.file = ctx_.file;
    sc.what = kind_ + " " + schema::SmiGroup(k) + "/" + VersionName(version);
    if (!meta_.name.empty()) sc.resource = meta_.ref();
    sc.path_prefix = prefix_;
    sc.diags = ctx_.diags;
    sc.hint = [this, k, version](const std::string& p) { return WhereElse(k, version, p); };
    schema::Validate(obj_, *schema::SmiSchema(k, version), sc);
  }

  Subject ReadSubject(const Node* n, const std::string& path) {
    Subject s;
    s.kind = StringOr(Child(n, "kind"));
    s.name = StringOr(Child(n, "name"));
    s.loc = At(n, path);
    if (auto ns = String(Child(n, "namespace")); ns && !ns->empty()) {
      s.namespace_ = *ns;
    } else {
      s.namespace_ = meta_.namespace_;
      s.namespace_defaulted = true;
    }
    return s;
  }

  void ExtractTrafficTarget(int version) {
    TrafficTarget tt;
    tt.meta = meta_;
    const Node* base = version == 1 ? obj_ : Child(obj_, "spec");
    const std::string bp = version == 1 ? "" : "spec.";
    const Node* dest = Child(base, "destination");
    if (dest != nullptr && dest->IsMap()) {
      tt.destination = ReadSubject(dest, bp + "destination");
      if (version <= 2) {
        if (const Node* port = Child(dest, "port")) {
          if (auto p = Integer(port)) {
            tt.port = static_cast<int>(*p);
          } else if (port->IsScalar() && port->Type() == ScalarType::kFloat) {
            Report(DiagCode::MP0002, port, bp + "destination.port",
                   bp + "destination.port: '" + port->value + "' is not a whole port number");
          }
          if (tt.port && (*tt.port < 1 || *tt.port > 65535)) {
            Report(DiagCode::MP0002, port, bp + "destination.port",
                   bp + "destination.port: " + std::to_string(*tt.port) + " is outside 1-65535");
            tt.port.reset();
          }
        }
      }
    } else {
      tt.destination.loc = At(base ? base : obj_, bp + "destination");
    }
    const char* rules_key = version == 1 ? "specs" : "rules";
    const Node* rules = Child(base, rules_key);
    tt.rules_present = rules != nullptr;
    std::size_t i = 0;
    for (const Node* r : Items(rules)) {
      const std::string rp = bp + rules_key + "[" + std::to_string(i++) + "]";
      if (!r->IsMap()) continue;
      RouteRef ref;
      ref.kind = StringOr(Child(r, "kind"));
      ref.name = StringOr(Child(r, "name"));
      ref.loc = At(r, rp);
      if (const Node* m = Child(r, "matches"); m && m->IsSeq()) {
        ref.matches.emplace();
        for (const Node* name : m->children) {
          if (auto s = String(name)) ref.matches->push_back(*s);
        }
      }
      tt.rules.push_back(std::move(ref));
    }
    const Node* sources = Child(base, "sources");
    tt.sources_present = sources != nullptr;
    i = 0;
    for (const Node* s : Items(sources)) {
      const std::string sp = bp + "sources[" + std::to_string(i++) + "]";
      if (s->IsMap()) tt.sources.push_back(ReadSubject(s, sp));
    }
    ctx_.model->traffic_targets.push_back(std::move(tt));
  }

  void ExtractHTTPRouteGroup(int version) {
    HTTPRouteGroup g;
    g.meta = meta_;
    const Node* base = version <= 2 ? obj_ : Child(obj_, "spec");
    const std::string bp = version <= 2 ? "" : "spec.";
    const Node* first_map_headers = nullptr;
    std::string first_map_path;
    std::size_t i = 0;
    for (const Node* m : Items(Child(base, "matches"))) {
      const std::string mp = bp + "matches[" + std::to_string(i++) + "]";
      if (!m->IsMap()) continue;
      HttpMatch hm;
      hm.name = StringOr(Child(m, "name"));
      hm.loc = At(m, mp);
      if (const Node* p = Child(m, "pathRegex")) {
        if (auto s = String(p)) hm.path_regex = *s;
      } else if (const Node* raw = m->Get("pathRegex"); raw && raw->IsNull()) {
        hm.path_regex.reset();  // `pathRegex:` with no value: absent
      }
      for (const Node* meth : Items(Child(m, "methods"))) {
        if (auto s = String(meth)) hm.methods.push_back(*s);
      }
      if (version >= 2) {
        if (const Node* h = Child(m, "headers")) {
          if (h->IsMap()) {
            if (g.header_form == HeaderForm::kNone) g.header_form = HeaderForm::kMap;
            if (!first_map_headers) {
              first_map_headers = h;
              first_map_path = mp + ".headers";
            }
            for (std::size_t k = 0; k < h->MapSize(); ++k) {
              if (auto v = String(h->Value(k))) {
                hm.headers.push_back(
                    {h->Key(k)->value, *v, At(h->Key(k), mp + ".headers." + h->Key(k)->value)});
              }
            }
          } else if (h->IsSeq()) {
            if (g.header_form == HeaderForm::kNone) g.header_form = HeaderForm::kList;
            std::size_t j = 0;
            for (const Node* e : h->children) {
              const std::string hp = mp + ".headers[" + std::to_string(j++) + "]";
              if (!e->IsMap() || e->MapSize() != 1) continue;  // MP0002 already
              if (auto v = String(e->Value(0))) {
                // Duplicate names across entries collapse, last wins, as in smi-sdk-go.
                auto& hs = hm.headers;
                hs.erase(std::remove_if(
                             hs.begin(), hs.end(),
                             [&](const HeaderMatch& x) { return x.name == e->Key(0)->value; }),
                         hs.end());
                hs.push_back({e->Key(0)->value, *v, At(e, hp)});
              }
            }
          }
        }
      }
      for (const HeaderMatch& h : hm.headers) {
        if (!IsHttpToken(h.name)) {
          ctx_.diags->Report(DiagCode::MP0002, h.loc,
                             "header name '" + Abbreviate(h.name, 80) + "' of match " + hm.name +
                                 " is not an HTTP field name (RFC 9110 token: letters, digits and "
                                 "!#$%&'*+-.^_`|~; no spaces, colons or pseudo-headers); no "
                                 "request can carry it, so the match admits nothing",
                             meta_.ref());
        }
      }
      g.matches.push_back(std::move(hm));
    }
    if (first_map_headers != nullptr) {
      Report(DiagCode::MP0007, first_map_headers, first_map_path,
             "headers written as a map (the spec documents' form); smi-sdk-go's CRD and codec, "
             "which OSM and Traefik Mesh use, expect a list of single-key maps "
             "(`headers: [{name: regex}]`), so those clusters reject this object");
    }
    ctx_.model->http_route_groups.push_back(std::move(g));
  }

  void ExtractL4Route(SmiKind k, int version) {
    L4Route r;
    r.meta = meta_;
    r.protocol = k == SmiKind::kUDPRoute ? L4Protocol::kUdp : L4Protocol::kTcp;
    if (version >= 4) {
      const Node* m = Child(Child(obj_, "spec"), "matches");
      r.match_name = StringOr(Child(m, "name"));
      const Node* ports = Child(m, "ports");
      r.ports_loc = At(ports ? ports : (m ? m : obj_), "spec.matches.ports");
      std::size_t i = 0;
      for (const Node* p : Items(ports)) {
        const std::string pp = "spec.matches.ports[" + std::to_string(i++) + "]";
        auto v = Integer(p);
        if (!v) continue;  // MP0002 already
        if (*v < 1 || *v > 65535) {
          Report(DiagCode::MP0002, p, pp, pp + ": " + std::to_string(*v) + " is outside 1-65535");
          continue;
        }
        r.ports.push_back(static_cast<int>(*v));
      }
    }
    ctx_.model->l4_routes.push_back(std::move(r));
  }

  void ExtractTrafficSplit(int version) {
    TrafficSplit ts;
    ts.meta = meta_;
    ts.quantity_weights = version == 1;
    const Node* spec = Child(obj_, "spec");
    const Node* svc = Child(spec, "service");
    ts.root_service = StringOr(svc);
    ts.root_loc = At(svc ? svc : (spec ? spec : obj_), "spec.service");
    std::vector<std::optional<QuantityValue>> values;
    std::size_t i = 0;
    for (const Node* b : Items(Child(spec, "backends"))) {
      const std::string bp = "spec.backends[" + std::to_string(i++) + "]";
      if (!b->IsMap()) continue;
      SplitBackend be;
      be.service = StringOr(Child(b, "service"));
      be.loc = At(b, bp);
      std::optional<QuantityValue> q;
      if (const Node* w = Child(b, "weight"); w && w->IsScalar()) {
        be.weight_text = w->value;
        q = ReadWeight(w, version, bp + ".weight");
      }
      if (q) {
        be.weight = q->approx;
        be.weight_valid = true;
      }
      values.push_back(q);
      ts.backends.push_back(std::move(be));
    }
    std::vector<double> shares = ExactShares(values);
    for (std::size_t k = 0; k < ts.backends.size(); ++k) ts.backends[k].share = shares[k];
    if (version >= 3) {
      i = 0;
      for (const Node* m : Items(Child(spec, "matches"))) {
        const std::string mp = "spec.matches[" + std::to_string(i++) + "]";
        if (!m->IsMap()) continue;
        ts.matches.push_back({StringOr(Child(m, "kind")), StringOr(Child(m, "name")), At(m, mp)});
      }
    }
    if (version == 1 && !ts.backends.empty()) ReportQuantityShares(ts);
    ctx_.model->traffic_splits.push_back(std::move(ts));
  }

  // Reads one weight. v1alpha1: a Kubernetes quantity evaluated exactly. v1alpha2+: a
  // whole number. Negative or non-integer weights are MP3004; others are MP0002.
  std::optional<QuantityValue> ReadWeight(const Node* w, int version, const std::string& path) {
    ScalarType t = w->Type();
    if (IsNonFiniteFloat(w->value)) {
      Report(DiagCode::MP3004, w, path,
             path + ": weight " + w->value + " is not a finite number; no share can be computed");
      return std::nullopt;
    }
    std::optional<QuantityValue> q = ReadWeightValue(w, t, version, path);
    if (q && !std::isfinite(q->approx)) {
      Report(DiagCode::MP3004, w, path,
             path + ": weight " + w->value + " is too large to compute a share from");
      return std::nullopt;
    }
    // v1alpha2+ decode weights into a Go int: beyond int64 the object fails to decode.
    if (q && version > 1 && std::fabs(q->approx) > 9.2233720368547758e18) {
      Report(DiagCode::MP3004, w, path,
             path + ": weight " + w->value + " is out of range for an integer weight (at most " +
                 "9223372036854775807); the object fails to decode");
      return std::nullopt;
    }
    return q;
  }

  // YAML 1.2 spells infinities and NaN .inf, -.inf, +.inf, .nan (any case of the letters).
  static bool IsNonFiniteFloat(std::string v) {
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v == ".nan" || v == ".inf" || v == "-.inf" || v == "+.inf";
  }

  std::optional<QuantityValue> ReadWeightValue(const Node* w, ScalarType t, int version,
                                               const std::string& path) {
    if (version == 1) {
      if (t != ScalarType::kInt && t != ScalarType::kFloat && t != ScalarType::kString)
        return std::nullopt;
      auto q = ParseQuantity(w->value);
      if (!q) {
        Report(DiagCode::MP0002, w, path,
               path + ": '" + w->value + "' is not a Kubernetes quantity (e.g. 1, 500m, 1e3)");
        return std::nullopt;
      }
      if (q->negative) {
        Report(DiagCode::MP3004, w, path, path + ": negative weight " + w->value);
        return std::nullopt;
      }
      return q;
    }
    if (t != ScalarType::kInt && t != ScalarType::kFloat) return std::nullopt;  // MP0002 already
    auto q = ParseQuantity(w->value);
    if (!q) {  // a YAML number the exact reader refuses: an exponent past any real weight
      Report(DiagCode::MP3004, w, path,
             path + ": weight " + w->value + " is out of range for an integer weight (at most " +
                 "9223372036854775807); the object fails to decode");
      return std::nullopt;
    }
    if (q->denominator != "1") {
      Report(DiagCode::MP3004, w, path,
             path + ": weight " + w->value + " is not a whole number; split.smi-spec.io/" +
                 VersionName(version) + " weights are integers (the object fails to decode)");
      return std::nullopt;
    }
    if (q->negative) {
      Report(DiagCode::MP3004, w, path, path + ": negative weight " + w->value);
      return std::nullopt;
    }
    return q;
  }

  void ReportQuantityShares(const TrafficSplit& ts) {
    std::string shares;
    bool suffixed = false;
    for (const SplitBackend& b : ts.backends) {
      if (!shares.empty()) shares += ", ";
      shares += b.service + " " + b.weight_text + " = " + PercentFixed(b.share, 2);
      if (!b.weight_text.empty() &&
          std::isalpha(static_cast<unsigned char>(b.weight_text.back()))) {
        suffixed = true;
      }
    }
    std::string msg = "v1alpha1 weights are Kubernetes quantities; effective shares: " + shares;
    if (suffixed) {
      msg +=
          " (smi-sdk-go's conversion to v1alpha2 reads the digits instead, e.g. 500m as 500, "
          "which changes these shares)";
    }
    const Node* backends = Child(Child(obj_, "spec"), "backends");
    Report(DiagCode::MP3013, backends ? backends : obj_, "spec.backends", std::move(msg));
  }

  // --- Kubernetes ----------------------------------------------------------------------

  void ConvertKubernetes() {
    const bool namespaced = kind_ != "Namespace";
    if (!ReadMeta(namespaced)) return;
    RecordFields();
    schema::Context sc;
    sc.file = ctx_.file;
    sc.what = kind_ + " " + api_version_;
    sc.resource = meta_.ref();
    sc.path_prefix = prefix_;
    sc.diags = ctx_.diags;
    schema::Validate(obj_, *schema::KubernetesSchema(kind_), sc);
    MeshModel& m = *ctx_.model;
    if (kind_ == "Namespace") {
      m.namespaces.push_back({meta_});
    } else if (kind_ == "ServiceAccount") {
      m.service_accounts.push_back({meta_});
    } else if (kind_ == "Service") {
      ExtractService();
    } else {
      ExtractWorkload();
    }
  }

  void ExtractService() {
    Service s;
    s.meta = meta_;
    const Node* spec = Child(obj_, "spec");
    s.type = StringOr(Child(spec, "type"), "ClusterIP");
    s.selector = StringMap(Child(spec, "selector"));
    s.has_selector = !s.selector.empty();
    std::size_t i = 0;
    for (const Node* p : Items(Child(spec, "ports"))) {
      const std::string pp = "spec.ports[" + std::to_string(i++) + "]";
      auto port = Integer(Child(p, "port"));
      if (!p->IsMap() || !port) continue;
      ServicePort sp;
      sp.name = StringOr(Child(p, "name"));
      sp.port = static_cast<int>(*port);
      sp.protocol = StringOr(Child(p, "protocol"), "TCP");
      sp.app_protocol = StringOr(Child(p, "appProtocol"));
      sp.loc = At(p, pp);
      const Node* tp = Child(p, "targetPort");
      if (auto n = Integer(tp)) {
        sp.target_port = static_cast<int>(*n);
      } else if (auto name = String(tp)) {
        sp.target_port_name = *name;
      } else {
        sp.target_port = sp.port;  // Kubernetes default
      }
      s.ports.push_back(std::move(sp));
    }
    ctx_.model->services.push_back(std::move(s));
  }

  void ExtractWorkload() {
    Workload w;
    w.meta = meta_;
    const Node* spec = Child(obj_, "spec");
    const Node* pod_spec = nullptr;
    if (kind_ == "Pod") {
      w.workload_kind = WorkloadKind::kPod;
      w.pod_labels = meta_.labels;
      pod_spec = spec;
    } else {
      w.workload_kind = kind_ == "Deployment"    ? WorkloadKind::kDeployment
                        : kind_ == "StatefulSet" ? WorkloadKind::kStatefulSet
                        : kind_ == "DaemonSet"   ? WorkloadKind::kDaemonSet
                                                 : WorkloadKind::kReplicaSet;
      const Node* tmpl = Child(spec, "template");
      w.pod_labels = StringMap(Child(Child(tmpl, "metadata"), "labels"));
      pod_spec = Child(tmpl, "spec");
      if (w.workload_kind == WorkloadKind::kDaemonSet) {
        w.replicas.reset();
      } else if (auto r = Integer(Child(spec, "replicas"))) {
        w.replicas = static_cast<int>(std::clamp<long long>(*r, 0, 1'000'000));
      }
    }
    auto sa = String(Child(pod_spec, "serviceAccountName"));
    if (!sa || sa->empty()) sa = String(Child(pod_spec, "serviceAccount"));  // deprecated alias
    if (sa && !sa->empty()) {
      w.service_account = *sa;
      w.service_account_defaulted = false;
    }
    for (const char* list : {"containers", "initContainers"}) {
      for (const Node* c : Items(Child(pod_spec, list))) {
        for (const Node* p : Items(Child(c, "ports"))) {
          auto port = Integer(Child(p, "containerPort"));
          if (!port) continue;
          w.ports.push_back({StringOr(Child(p, "name")), static_cast<int>(*port),
                             StringOr(Child(p, "protocol"), "TCP")});
        }
      }
    }
    ctx_.model->workloads.push_back(std::move(w));
  }

  ConvertContext& ctx_;
  const Node* obj_;
  std::string prefix_;
  std::string kind_;
  std::string api_version_;
  bool inferred_ = false;
  std::string infer_why_;
  ObjectMeta meta_;
};

}  // namespace

void ConvertDocument(const yaml::Node* root, ConvertContext& ctx) {
  if (root == nullptr || root->IsNull()) return;  // empty document
  if (!root->IsMap()) {
    ctx.diags->Report(DiagCode::MP0002, Loc{ctx.file, root->line, root->column, ""},
                      std::string("document is ") + root->TypeName() +
                          ", not a Kubernetes object (a map with apiVersion and kind)");
    return;
  }
  // A tag on the document (`--- !Foo`, `--- !!set`) changes nothing for kubectl, which reads
  // the mapping; say so rather than let the object pass (or vanish) unremarked.
  if (!root->tag.empty() && root->tag != "tag:yaml.org,2002:map") {
    ctx.diags
        ->Report(DiagCode::MP0002, Loc{ctx.file, root->line, root->column, ""},
                 "the document carries the YAML tag " + Abbreviate(root->tag, 80) +
                     "; a Kubernetes object is an untagged map, read here (as kubectl does) "
                     "without the tag")
        .severity = Severity::kWarning;
  }
  auto kind = String(Child(root, "kind"));
  if (!ctx.named_by_user && root->Get("kind") == nullptr && root->Get("apiVersion") == nullptr) {
    ctx.model->skipped["(not a Kubernetes object)"]++;
    return;
  }
  // `kind: List` (and typed lists such as ServiceList) as kubectl get -o yaml prints them.
  if (kind && kind->size() >= 4 && kind->substr(kind->size() - 4) == "List" &&
      root->Get("items") != nullptr) {
    const Node* items = Child(root, "items");
    if (items != nullptr && !items->IsSeq()) {
      ctx.diags->Report(DiagCode::MP0002, Loc{ctx.file, items->line, items->column, "items"},
                        "items: expected a list, found " + std::string(items->TypeName()));
      return;
    }
    std::size_t i = 0;
    for (const Node* item : Items(items)) {
      const std::string prefix = "items[" + std::to_string(i++) + "].";
      if (!item->IsMap()) {
        ctx.diags->Report(DiagCode::MP0002, Loc{ctx.file, item->line, item->column, prefix},
                          prefix + ": expected an object, found " + item->TypeName());
        continue;
      }
      ObjectConverter(ctx, item, prefix).Run();
    }
    return;
  }
  ObjectConverter(ctx, root, "").Run();
}

// ---------------------------------------------------------------------------------------

namespace {

std::string GroupOf(const ObjectMeta& m) {
  auto slash = m.api_version.find('/');
  return slash == std::string::npos ? "" : m.api_version.substr(0, slash);
}

std::string Where(const Loc& loc, const Loc& here, const SourceSet& sources) {
  std::string line = "line " + std::to_string(loc.line);
  if (loc.file == here.file || loc.file >= sources.size()) return line;
  return sources.name(loc.file) + ":" + std::to_string(loc.line);
}

// Keeps the last object for each (group, kind, namespace, name); reports the others.
template <typename T>
void Deduplicate(std::vector<T>* objects, const SourceSet& sources, Diagnostics* diags) {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> seen;
  std::vector<bool> drop(objects->size(), false);
  for (std::size_t i = 0; i < objects->size(); ++i) {
    const ObjectMeta& m = (*objects)[i].meta;
    auto key = std::make_tuple(GroupOf(m), m.kind, m.namespace_, m.name);
    auto [it, inserted] = seen.try_emplace(key, i);
    if (inserted) continue;
    const ObjectMeta& first = (*objects)[it->second].meta;
    std::string where = Where(first.loc, m.loc, sources);
    Diagnostic& d = diags->Report(DiagCode::MP0005, m.loc,
                                  "duplicate " + m.kind + " " +
                                      (m.namespace_.empty() ? "" : m.namespace_ + "/") + m.name +
                                      " (also defined at " + where + "); the later definition wins",
                                  m.ref());
    d.related.push_back(first.ref());
    drop[it->second] = true;
    it->second = i;
  }
  std::size_t out = 0;
  for (std::size_t i = 0; i < objects->size(); ++i) {
    if (drop[i]) continue;
    if (out != i) (*objects)[out] = std::move((*objects)[i]);  // never self-move
    ++out;
  }
  objects->resize(out);
}

template <typename T>
void SortByName(std::vector<T>* objects) {
  std::stable_sort(objects->begin(), objects->end(), [](const T& a, const T& b) {
    return std::tie(a.meta.namespace_, a.meta.name, a.meta.kind) <
           std::tie(b.meta.namespace_, b.meta.name, b.meta.kind);
  });
}

}  // namespace

void FinalizeModel(MeshModel* m, const SourceSet& sources, Diagnostics* diags) {
  Deduplicate(&m->namespaces, sources, diags);
  Deduplicate(&m->service_accounts, sources, diags);
  Deduplicate(&m->services, sources, diags);
  Deduplicate(&m->workloads, sources, diags);
  Deduplicate(&m->traffic_targets, sources, diags);
  Deduplicate(&m->http_route_groups, sources, diags);
  Deduplicate(&m->l4_routes, sources, diags);
  Deduplicate(&m->traffic_splits, sources, diags);

  // MP0006: namespaces that objects live in or subjects name, but no Namespace declares.
  // Built-in namespaces always exist.
  std::set<std::string> declared = {"default", "kube-system", "kube-public", "kube-node-lease"};
  for (const auto& n : m->namespaces) declared.insert(n.meta.name);
  std::map<std::string, Loc> first_use;
  auto use = [&](const std::string& ns, const Loc& loc) {
    if (ns.empty() || declared.count(ns)) return;
    auto it = first_use.find(ns);
    if (it == first_use.end() ||
        std::tie(loc.file, loc.line) < std::tie(it->second.file, it->second.line)) {
      first_use[ns] = loc;
    }
  };
  m->ForEachMeta(
      [&](const ObjectMeta& meta) { use(meta.namespace_, meta.loc); });  // Namespaces have none
  for (const auto& x : m->traffic_targets) {
    use(x.destination.namespace_, x.destination.loc);
    for (const auto& s : x.sources) use(s.namespace_, s.loc);
  }
  // Only meaningful when the input declares namespaces at all; otherwise every input that
  // relies on existing cluster namespaces would be flagged.
  if (!m->namespaces.empty()) {
    for (const auto& [ns, loc] : first_use) {
      diags->Report(DiagCode::MP0006, loc,
                    "namespace '" + ns + "' is used but no Namespace object declares it");
    }
  }

  SortByName(&m->namespaces);
  SortByName(&m->service_accounts);
  SortByName(&m->services);
  SortByName(&m->workloads);
  SortByName(&m->traffic_targets);
  SortByName(&m->http_route_groups);
  SortByName(&m->l4_routes);
  SortByName(&m->traffic_splits);
}

}  // namespace meshproof
