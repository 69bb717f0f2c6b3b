#include "overrides.h"

#include <algorithm>
#include <optional>
#include <string>

namespace meshproof::sim {
namespace {

using yaml::Node;
using yaml::NodeKind;

// One step of a PATH: a map key, or a list element `[KEY]` (by its key field or index).
struct Step {
  bool select = false;
  std::string text;
};

std::optional<std::vector<Step>> ParsePath(const std::string& path, std::string* error) {
  std::vector<Step> steps;
  std::size_t i = path.rfind("spec.", 0) == 0 ? 5 : 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) {
        *error = "unclosed '[' in the path";
        return std::nullopt;
      }
      std::string key = path.substr(i + 1, close - i - 1);
      if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') &&
          key.back() == key.front()) {
        key = key.substr(1, key.size() - 2);
      }
      if (key.empty() || steps.empty()) {
        *error = "'[...]' selects an element of a list, after the list's name";
        return std::nullopt;
      }
      steps.push_back({true, key});
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    std::size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    if (end == i) {
      *error = "an empty field name in the path";
      return std::nullopt;
    }
    steps.push_back({false, path.substr(i, end - i)});
    i = end < path.size() && path[end] == '.' ? end + 1 : end;
  }
  if (steps.empty()) *error = "an empty path";
  if (steps.empty()) return std::nullopt;
  return steps;
}

bool IsDistField(const std::string& key) {
  static const std::vector<std::string> kAll = {"mean", "value", "median", "p99",
                                                "k",    "scv",   "buckets"};
  return std::find(kAll.begin(), kAll.end(), key) != kAll.end();
}

bool IsDistKey(const std::string& key) { return key == "serviceTime" || key == "latency"; }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Applier {
 public:
  Applier(const Node* spec, std::deque<Node>* arena, NodeOrigins* origins, FileId file,
          const Node* value, Diagnostics* diags)
      : spec_(spec), arena_(arena), origins_(origins), file_(file), value_(value), diags_(diags) {}

  const Node* Apply(const std::vector<Step>& steps) {
    steps_ = &steps;
    return Rewrite(spec_, 0, "spec");
  }
  bool failed() const { return failed_; }

 private:
  void Fail(const std::string& message) {
    if (failed_) return;
    failed_ = true;
    diags_->Report(DiagCode::MP6001, Loc{file_, 1, 1, ""}, message);
  }

  Node* New(NodeKind kind, const std::string& value = "") {
    Node& n = arena_->emplace_back();
    n.kind = kind;
    n.value = value;
    n.line = 1;
    n.column = 1;
    (*origins_)[&n] = file_;
    return &n;
  }
  Node* Copy(const Node* n) {
    Node& c = arena_->emplace_back(*n);
    return &c;
  }

  // The element of list `n` (under `list_key`) that `key` selects, or -1.
  static long Find(const Node* n, const std::string& key) {
    for (std::size_t i = 0; i < n->children.size(); ++i) {
      const Node* e = n->children[i];
      if (!e->IsMap()) continue;
      for (const char* field : {"name", "workload", "service"}) {
        const Node* f = e->Get(field);
        if (f != nullptr && f->IsScalar() && f->value == key) return static_cast<long>(i);
      }
    }
    if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) && key.size() < 9) {
      const long i = std::stol(key);
      if (i < static_cast<long>(n->children.size())) return i;
    }
    return -1;
  }

  // A new element of `list_key` for `key`: workloads and routes of the mesh may gain an
  // entry (the mesh itself decides at compile time whether it exists: MP6002).
  const Node* NewElement(const std::string& list_key, const std::string& key) {
    const char* field = list_key == "workloads" ? "workload"
                        : list_key == "routes"  ? "service"
                                                : nullptr;
    if (field == nullptr) {
      Fail("no element '" + key + "' in " + list_key +
           (list_key == "sources" || list_key == "slos" ? " (only workloads and routes gain "
                                                          "an entry; a source or an SLO must "
                                                          "be written in the scenario)"
                                                        : ""));
      return nullptr;
    }
    Node* e = New(NodeKind::kMap);
    e->children.push_back(New(NodeKind::kScalar, field));
    e->children.push_back(New(NodeKind::kScalar, key));
    return e;
  }

  // What an absent distribution starts from: spec.defaults' for a workload's serviceTime,
  // else the built-in default (docs/scenarios.md).
  const Node* DefaultDist(const std::string& key) {
    if (key == "serviceTime" && spec_ != nullptr && spec_->IsMap()) {
      const Node* d = spec_->Get("defaults");
      if (d != nullptr && d->IsMap() && d->Get("serviceTime") != nullptr) {
        return d->Get("serviceTime");
      }
    }
    Node* m = New(NodeKind::kMap);
    const bool service = key == "serviceTime";
    for (const char* s : {"distribution", service ? "exponential" : "deterministic",
                          service ? "mean" : "value", service ? "10ms" : "0s"}) {
      m->children.push_back(New(NodeKind::kScalar, s));
    }
    return m;
  }

  // A distribution field may only be set on a distribution that has it.
  bool CheckDistField(const Node* dist, const std::string& parent, const std::string& field) {
    if (dist->IsScalar()) {
      if (field == "value") return true;
      Fail(parent + " is a fixed duration ('" + dist->value + "'), which has no `" + field +
           "` (write it as a map with `distribution:` first)");
      return false;
    }
    const Node* kind = dist->Get("distribution");
    if (kind == nullptr || !kind->IsScalar()) return true;  // the validator says what is wrong
    const std::vector<std::string> fields = DistributionFields(kind->value);
    if (fields.empty() || std::find(fields.begin(), fields.end(), field) != fields.end()) {
      return true;
    }
    Fail(parent + " is " + kind->value + " (" + Join(fields) + "), which has no `" + field + "`");
    return false;
  }

  const Node* Rewrite(const Node* n, std::size_t i, const std::string& parent) {
    if (failed_) return n;
    if (i == steps_->size()) return value_;
    const Step& step = (*steps_)[i];
    if (step.select) return RewriteElement(n, i, parent);
    if (n != nullptr && IsDistKey(parent) && IsDistField(step.text)) {
      if (!CheckDistField(n, parent, step.text)) return n;
      if (n->IsScalar()) return i + 1 == steps_->size() ? value_ : n;  // `.value` of "10ms"
    }
    if (n != nullptr && !n->IsMap() && !n->IsNull()) {
      Fail(parent + " is a " + std::string(n->TypeName()) + ", so it has no field '" + step.text +
           "'");
      return n;
    }
    Node* copy = n != nullptr && n->IsMap() ? Copy(n) : New(NodeKind::kMap);
    for (std::size_t k = 0; k < copy->MapSize(); ++k) {
      if (copy->Key(k)->value != step.text) continue;
      copy->children[2 * k + 1] = Rewrite(copy->Value(k), i + 1, step.text);
      return copy;
    }
    const Node* start = nullptr;
    if (IsDistKey(step.text) && i + 1 < steps_->size()) {
      start = DefaultDist(step.text);
      if (!(*steps_)[i + 1].select && !CheckDistField(start, step.text, (*steps_)[i + 1].text)) {
        return copy;
      }
    }
    copy->children.push_back(New(NodeKind::kScalar, step.text));
    copy->children.push_back(Rewrite(start, i + 1, step.text));
    return copy;
  }

  const Node* RewriteElement(const Node* n, std::size_t i, const std::string& parent) {
    const std::string& key = (*steps_)[i].text;
    if (n != nullptr && !n->IsSeq() && !n->IsNull()) {
      Fail(parent + " is a " + std::string(n->TypeName()) + ", not a list: [" + key +
           "] selects nothing");
      return n;
    }
    Node* copy = n != nullptr && n->IsSeq() ? Copy(n) : New(NodeKind::kSequence);
    const long at = Find(copy, key);
    if (at >= 0) {
      copy->children[static_cast<std::size_t>(at)] =
          Rewrite(copy->children[static_cast<std::size_t>(at)], i + 1, parent + "[]");
      return copy;
    }
    const Node* fresh = NewElement(parent, key);
    if (fresh == nullptr) return n;
    copy->children.push_back(Rewrite(fresh, i + 1, parent + "[]"));
    return copy;
  }

  const Node* spec_;
  std::deque<Node>* arena_;
  NodeOrigins* origins_;
  FileId file_;
  const Node* value_;
  Diagnostics* diags_;
  const std::vector<Step>* steps_ = nullptr;
  bool failed_ = false;
};

void RecordOrigin(const Node* n, FileId file, NodeOrigins* origins) {
  if (n == nullptr || origins->count(n) > 0) return;
  (*origins)[n] = file;
  for (const Node* c : n->children) RecordOrigin(c, file, origins);
}

}  // namespace

std::vector<std::string> DistributionFields(const std::string& kind) {
  if (kind == "exponential") return {"mean"};
  if (kind == "deterministic" || kind == "constant") return {"value"};
  if (kind == "lognormal") return {"median", "p99"};
  if (kind == "erlang") return {"mean", "k"};
  if (kind == "hyperexponential") return {"mean", "scv"};
  if (kind == "empirical") return {"buckets"};
  return {};
}

const yaml::Node* ApplyOverrides(const yaml::Node* spec, const std::vector<Override>& overrides,
                                 const std::vector<FileId>& files, std::deque<yaml::Node>* arena,
                                 std::vector<std::unique_ptr<yaml::ParsedFile>>* values,
                                 NodeOrigins* origins, Diagnostics* diags) {
  for (std::size_t k = 0; k < overrides.size(); ++k) {
    const Override& o = overrides[k];
    std::string error;
    const auto steps = ParsePath(o.path, &error);
    if (!steps) {
      diags->Report(DiagCode::MP6001, Loc{files[k], 1, 1, ""},
                    "'" + o.path + "' is not a scenario path: " + error +
                        " (e.g. sources[NAME].rate, workloads[NS/NAME].replicas)");
      continue;
    }
    auto parsed = std::make_unique<yaml::ParsedFile>();
    Diagnostics syntax;
    yaml::ParseFile(o.value, files[k], yaml::ParseLimits{}, parsed.get(), &syntax);
    if (!syntax.empty() || parsed->documents.size() != 1 || parsed->documents[0].root == nullptr) {
      diags->Report(DiagCode::MP6001, Loc{files[k], 1, 1, ""},
                    o.value.empty() ? "no value after '=' (the value is read as YAML)"
                                    : "the value is not one YAML value: " +
                                          (syntax.empty() ? std::string("'") + o.value + "'"
                                                          : syntax.items()[0].message));
      continue;
    }
    const Node* value = parsed->documents[0].root;
    RecordOrigin(value, files[k], origins);
    values->push_back(std::move(parsed));
    Applier applier(spec, arena, origins, files[k], value, diags);
    const Node* next = applier.Apply(*steps);
    if (!applier.failed()) spec = next;
  }
  return spec;
}

}  // namespace meshproof::sim
