#include "meshproof/engine/config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "meshproof/engine/input.h"
#include "meshproof/engine/names.h"
#include "meshproof/engine/profile.h"
#include "meshproof/engine/yaml_tree.h"

namespace meshproof {
namespace {

namespace fs = std::filesystem;
using yaml::Node;

Status Bad(const std::string& name, const Node* n, const std::string& what) {
  std::string where = name;
  if (n != nullptr) where += ":" + std::to_string(n->line) + ":" + std::to_string(n->column);
  return Status::InvalidArgument(where + ": " + what);
}

std::optional<std::string> Str(const Node* n) {
  if (n == nullptr || !n->IsScalar()) return std::nullopt;
  return n->value;
}

StatusOr<Intent> ParseIntent(const Node* item, const std::string& name, FileId file) {
  if (!item->IsMap() || item->MapSize() != 1) {
    return Bad(name, item, "an intent is a map with one key, allow or deny");
  }
  const std::string kind = item->Key(0)->value;
  if (kind != "allow" && kind != "deny")
    return Bad(name, item->Key(0), "intent must be allow or deny, not '" + kind + "'");
  const Node* body = item->Value(0);
  if (!body->IsMap()) return Bad(name, body, kind + ": expected a map {from, to, ...}");
  Intent in;
  in.allow = kind == "allow";
  in.loc = Loc{file, item->line, item->column, ""};
  for (std::size_t i = 0; i < body->MapSize(); ++i) {
    const std::string key = body->Key(i)->value;
    const Node* v = body->Value(i);
    auto need = [&]() -> StatusOr<std::string> {
      auto s = Str(v);
      if (!s) return Bad(name, v, key + ": expected a string");
      return *s;
    };
    if (key == "from" || key == "to" || key == "to-identity" || key == "toIdentity" ||
        key == "method" || key == "path") {
      auto s = need();
      if (!s.ok()) return s.status();
      if (key == "from") in.from = *s;
      if (key == "to") in.to = *s;
      if (key == "to-identity" || key == "toIdentity") in.to_identity = *s;
      if (key == "method") in.method = *s;
      if (key == "path") in.path = *s;
    } else if (key == "port") {
      if (!v->IsScalar() || v->Type() != yaml::ScalarType::kInt)
        return Bad(name, v, "port: expected an integer");
      in.port = std::stoi(v->value);
    } else if (key == "except") {
      if (!v->IsSeq()) return Bad(name, v, "except: expected a list of ns/serviceaccount");
      for (const Node* e : v->children) {
        auto s = Str(e);
        if (!s) return Bad(name, e, "except: expected strings");
        in.except.push_back(*s);
      }
    } else if (key == "headers") {
      if (!v->IsMap()) return Bad(name, v, "headers: expected a map of name: value");
      for (std::size_t k = 0; k < v->MapSize(); ++k) {
        auto s = Str(v->Value(k));
        if (!s) return Bad(name, v->Value(k), "headers: values must be strings");
        in.headers.emplace_back(v->Key(k)->value, *s);
      }
    } else {
      return Bad(name, body->Key(i),
                 "unknown intent field '" + key +
                     "' (from, to, to-identity, except, port, method, path, headers)");
    }
  }
  if (in.from.empty())
    return Bad(name, body, kind + ": 'from' is required (ns/serviceaccount or \"*\")");
  if (in.to.empty() == in.to_identity.empty()) {
    return Bad(
        name, body,
        kind + ": give exactly one of 'to' (ns/service) or 'to-identity' (ns/serviceaccount)");
  }
  for (const std::string* ref : {&in.from, &in.to, &in.to_identity}) {
    if (!ref->empty() && *ref != "*" &&
        (ref->find('/') == std::string::npos || !NamespacedName::Parse(*ref, ""))) {
      return Bad(name, body, "'" + *ref + "' must be namespace/name");
    }
  }
  std::ostringstream text;
  text << kind << " " << in.from << " -> " << (in.to.empty() ? in.to_identity : in.to);
  if (in.port) text << ":" << *in.port;
  if (in.method) text << " " << *in.method;
  if (in.path) text << " " << *in.path;
  in.text = text.str();
  return in;
}

StatusOr<std::vector<Intent>> ParseIntentList(const Node* list, const std::string& name,
                                              FileId file) {
  if (!list->IsSeq()) return Bad(name, list, "intents: expected a list");
  std::vector<Intent> out;
  for (const Node* item : list->children) {
    auto in = ParseIntent(item, name, file);
    if (!in.ok()) return in.status();
    out.push_back(std::move(*in));
  }
  return out;
}

// Parses the single document of a configuration file; syntax errors become a Status.
StatusOr<const Node*> ParseOne(const std::string& text, const std::string& name,
                               yaml::ParsedFile* parsed) {
  Diagnostics diags;
  yaml::ParseFile(text, 0, yaml::ParseLimits{}, parsed, &diags);
  if (!diags.empty()) {
    const Diagnostic& d = diags.items()[0];
    return Status::InvalidArgument(name + ":" + std::to_string(d.location.line) + ":" +
                                   std::to_string(d.location.column) + ": " + d.message);
  }
  if (parsed->documents.empty() || parsed->documents[0].root == nullptr)
    return static_cast<const Node*>(nullptr);
  return parsed->documents[0].root;
}

// Settings and intents are small: a device or an endless FIFO stops at the cap.
StatusOr<std::string> ReadFile(const std::string& path) {
  CappedRead r = ReadCapped(path, kMaxSmallInputBytes, "settings file");
  if (auto problem = CappedReadProblem(r, path, kMaxSmallInputBytes)) {
    if (!r.status.ok() && r.status.code() != StatusCode::kInvalidArgument)
      return Status::IoError(*problem);
    return Status::InvalidArgument(*problem);
  }
  return std::move(r.text);
}

}  // namespace

StatusOr<Suppression> Suppression::Parse(const std::string& text) {
  Suppression s;
  std::string code = text;
  auto eq = text.find('=');
  if (eq != std::string::npos) {
    code = text.substr(0, eq);
    std::string obj = text.substr(eq + 1);
    const auto a = obj.find('/');
    const auto name = a == std::string::npos || a == 0
                          ? std::nullopt
                          : NamespacedName::Parse(obj.substr(a + 1), "");
    if (!name || obj.find('/', a + 1) == std::string::npos) {
      return Status::InvalidArgument("suppression '" + text +
                                     "': expected CODE=kind/namespace/name");
    }
    s.object = ObjectRef{obj.substr(0, a), name->namespace_, name->name};
  }
  auto c = ParseDiagCode(code);
  if (!c) return Status::InvalidArgument("suppression '" + text + "': unknown code '" + code + "'");
  s.code = *c;
  return s;
}

bool Suppression::Matches(const Diagnostic& d) const {
  if (d.code != code) return false;
  if (!object) return true;
  return d.resource && d.resource->kind == object->kind &&
         d.resource->namespace_ == object->namespace_ && d.resource->name == object->name;
}

StatusOr<Config> ParseConfig(const std::string& text, const std::string& name) {
  yaml::ParsedFile parsed;
  auto root = ParseOne(text, name, &parsed);
  if (!root.ok()) return root.status();
  Config c;
  c.file = name;
  c.text = text;
  if (*root == nullptr) return c;  // empty file: defaults
  const Node* r = *root;
  if (!r->IsMap()) return Bad(name, r, "expected a map of settings");
  for (std::size_t i = 0; i < r->MapSize(); ++i) {
    const std::string key = r->Key(i)->value;
    const Node* v = r->Value(i);
    if (key == "profile") {
      auto s = Str(v);
      if (!s) return Bad(name, v, "profile: expected " + ProfileNameList());
      c.profile = *s;
    } else if (key == "permissive") {
      if (!v->IsScalar() || v->Type() != yaml::ScalarType::kBool) {
        return Bad(name, v, "permissive: expected true or false");
      }
      c.permissive = v->BoolValue();
    } else if (key == "failOn" || key == "fail-on") {
      auto s = Str(v);
      if (!s || (*s != "never" && !ParseSeverity(*s)))
        return Bad(name, v, "failOn: expected error, warning, info or never");
      c.fail_on = *s;
    } else if (key == "requireWeightSum") {
      if (!v->IsScalar() ||
          (v->Type() != yaml::ScalarType::kInt && v->Type() != yaml::ScalarType::kFloat)) {
        return Bad(name, v, "requireWeightSum: expected a number");
      }
      c.require_weight_sum = std::stod(v->value);
    } else if (key == "solverTimeoutMs" || key == "overBroadSources") {
      if (!v->IsScalar() || v->Type() != yaml::ScalarType::kInt || std::stol(v->value) < 1) {
        return Bad(name, v, key + ": expected a positive integer");
      }
      if (key == "solverTimeoutMs")
        c.solver_timeout_ms = static_cast<unsigned>(std::stoul(v->value));
      if (key == "overBroadSources") c.over_broad_sources = std::stoi(v->value);
    } else if (key == "severity") {
      if (!v->IsMap()) return Bad(name, v, "severity: expected a map CODE: error|warning|info|off");
      for (std::size_t k = 0; k < v->MapSize(); ++k) {
        auto code = ParseDiagCode(v->Key(k)->value);
        if (!code) return Bad(name, v->Key(k), "severity: unknown code '" + v->Key(k)->value + "'");
        auto s = Str(v->Value(k));
        if (s && *s == "off") {
          c.severity[*code] = std::nullopt;
        } else if (s && ParseSeverity(*s)) {
          c.severity[*code] = *ParseSeverity(*s);
        } else {
          return Bad(name, v->Value(k), "severity: expected error, warning, info or off");
        }
      }
    } else if (key == "suppress") {
      if (!v->IsSeq())
        return Bad(name, v, "suppress: expected a list of CODE or CODE=kind/namespace/name");
      for (const Node* e : v->children) {
        auto s = Str(e);
        if (!s) return Bad(name, e, "suppress: expected strings");
        auto sup = Suppression::Parse(*s);
        if (!sup.ok()) return Bad(name, e, sup.status().message());
        c.suppressions.push_back(*sup);
      }
    } else if (key == "intents") {
      auto in = ParseIntentList(v, name, kNoFile);
      if (!in.ok()) return in.status();
      c.intents = std::move(*in);
    } else {
      return Bad(name, r->Key(i),
                 "unknown setting '" + key +
                     "' (profile, permissive, failOn, requireWeightSum, solverTimeoutMs, "
                     "overBroadSources, "
                     "severity, suppress, intents)");
    }
  }
  return c;
}

StatusOr<Config> LoadConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path);
}

StatusOr<std::vector<Intent>> LoadIntents(const std::string& path, std::string* text_out) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (text_out != nullptr) *text_out = *text;
  yaml::ParsedFile parsed;
  auto root = ParseOne(*text, path, &parsed);
  if (!root.ok()) return root.status();
  if (*root == nullptr) return std::vector<Intent>{};
  const Node* list = *root;
  if (list->IsMap()) {
    list = list->Get("intents");
    if (list == nullptr) return Bad(path, *root, "expected an 'intents:' list");
  }
  return ParseIntentList(list, path, kNoFile);
}

std::optional<std::string> FindConfig(const std::vector<std::string>& inputs) {
  for (const std::string& in : inputs) {
    if (in == "-") continue;
    std::error_code ec;
    fs::path dir = fs::is_directory(in, ec) ? fs::path(in) : fs::path(in).parent_path();
    if (dir.empty()) dir = ".";
    fs::path candidate = dir / ".meshproof.yaml";
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return std::nullopt;
}

}  // namespace meshproof
