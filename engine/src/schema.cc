#include "schema.h"

#include <algorithm>

namespace meshproof::schema {

const Schema* Schema::Field(std::string_view name) const {
  for (const auto& [k, s] : fields) {
    if (k == name) return &s;
  }
  return nullptr;
}

namespace {
Schema Of(Type t) {
  Schema s;
  s.type = t;
  return s;
}
}  // namespace

Schema Str() { return Of(Type::kString); }
Schema Enum(std::vector<std::string> values) {
  Schema s = Of(Type::kString);
  s.enum_values = std::move(values);
  return s;
}
Schema Int() { return Of(Type::kInt); }
Schema Number() { return Of(Type::kNumber); }
Schema Bool() { return Of(Type::kBool); }
Schema IntOrString() { return Of(Type::kIntOrString); }
Schema Quantity() { return Of(Type::kQuantity); }
Schema Headers() { return Of(Type::kHeaders); }
Schema Any() { return Of(Type::kAny); }
Schema ArrayOf(Schema item) {
  Schema s = Of(Type::kArray);
  s.element.push_back(std::move(item));
  return s;
}
Schema MapOf(Schema value) {
  Schema s = Of(Type::kObject);
  s.open = true;
  s.element.push_back(std::move(value));
  return s;
}
Schema Obj(std::vector<std::pair<std::string, Schema>> fields, std::vector<std::string> required) {
  Schema s = Of(Type::kObject);
  for (auto& [name, field] : fields) s.fields.push_back({std::move(name), std::move(field)});
  s.required = std::move(required);
  return s;
}
Schema OpenObj(std::vector<std::pair<std::string, Schema>> fields,
               std::vector<std::string> required) {
  Schema s = Obj(std::move(fields), std::move(required));
  s.open = true;
  return s;
}

bool TypeFits(const yaml::Node* n, Type type) {
  using yaml::ScalarType;
  switch (type) {
    case Type::kAny:
      return true;
    case Type::kObject:
      return n->IsMap();
    case Type::kArray:
      return n->IsSeq();
    case Type::kHeaders:
      return n->IsMap() || n->IsSeq();
    default:
      break;
  }
  if (!n->IsScalar()) return false;
  ScalarType t = n->Type();
  switch (type) {
    case Type::kString:
      return t == ScalarType::kString;
    case Type::kInt:
      return t == ScalarType::kInt;
    case Type::kNumber:
      return t == ScalarType::kInt || t == ScalarType::kFloat;
    case Type::kBool:
      return t == ScalarType::kBool;
    case Type::kIntOrString:
      return t == ScalarType::kInt || t == ScalarType::kString;
    case Type::kQuantity:
      return t == ScalarType::kInt || t == ScalarType::kFloat || t == ScalarType::kString;
    default:
      return false;
  }
}

namespace {

const char* Expected(Type t) {
  switch (t) {
    case Type::kObject:
      return "a map";
    case Type::kArray:
      return "a list";
    case Type::kString:
      return "a string";
    case Type::kInt:
      return "an integer";
    case Type::kNumber:
      return "a number";
    case Type::kBool:
      return "a boolean";
    case Type::kIntOrString:
      return "an integer or a string";
    case Type::kQuantity:
      return "a quantity (number or string such as 500m)";
    case Type::kHeaders:
      return "a map of header regexes or a list of single-key maps";
    case Type::kAny:
      return "anything";
  }
  return "?";
}

std::string Found(const yaml::Node* n) {
  std::string s = n->TypeName();
  if (n->IsScalar()) {
    std::string v = n->value.size() > 40 ? n->value.substr(0, 40) + "..." : n->value;
    s += " '" + v + "'";
  }
  return s;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

class Validator {
 public:
  explicit Validator(const Context& ctx) : ctx_(ctx) {}

  void Walk(const yaml::Node* n, const Schema& s, const std::string& path) {
    if (n->IsNull()) return;  // null = absent, as the API server reads optional fields
    if (!TypeFits(n, s.type)) {
      Report(DiagCode::MP0002, n, path,
             (path.empty() ? std::string("object") : path) + ": expected " + Expected(s.type) +
                 ", found " + Found(n));
      return;
    }
    switch (s.type) {
      case Type::kObject:
        WalkObject(n, s, path);
        break;
      case Type::kArray:
        for (std::size_t i = 0; i < n->children.size(); ++i) {
          Walk(n->children[i], s.element[0], path + "[" + std::to_string(i) + "]");
        }
        break;
      case Type::kString:
        if (!s.enum_values.empty() && std::find(s.enum_values.begin(), s.enum_values.end(),
                                                n->value) == s.enum_values.end()) {
          Report(DiagCode::MP0002, n, path,
                 path + ": '" + n->value + "' is not one of " + Join(s.enum_values));
        }
        break;
      case Type::kHeaders:
        WalkHeaders(n, path);
        break;
      default:
        break;
    }
  }

 private:
  void WalkObject(const yaml::Node* n, const Schema& s, const std::string& path) {
    const std::string prefix = path.empty() ? "" : path + ".";
    for (std::size_t i = 0; i < n->MapSize(); ++i) {
      const yaml::Node* k = n->Key(i);
      if (!k->IsScalar()) {
        Report(DiagCode::MP0002, k, path, prefix + "<key>: keys must be strings");
        continue;
      }
      const std::string child = prefix + k->value;
      if (const Schema* f = s.Field(k->value)) {
        Walk(n->Value(i), *f, child);
      } else if (!s.element.empty()) {
        Walk(n->Value(i), s.element[0], child);
      } else if (!s.open) {
        std::string msg = child + " is not a field of " + ctx_.what;
        std::string hint = ctx_.hint ? ctx_.hint(child) : "";
        if (!hint.empty()) msg += " (" + hint + ")";
        msg += "; an API server would prune it silently";
        Report(DiagCode::MP0004, k, child, msg);
      }
    }
    for (const std::string& req : s.required) {
      const yaml::Node* v = n->Get(req);
      if (v == nullptr || v->IsNull()) {
        Report(DiagCode::MP0002, n, path,
               (path.empty() ? std::string("object") : path) + ": missing required field '" + req +
                   "'");
      }
    }
  }

  void WalkHeaders(const yaml::Node* n, const std::string& path) {
    auto check_value = [&](const yaml::Node* v, const std::string& p) {
      if (!v->IsScalar() || v->Type() != yaml::ScalarType::kString) {
        Report(DiagCode::MP0002, v, p, p + ": expected a string (a regex), found " + Found(v));
      }
    };
    if (n->IsMap()) {
      for (std::size_t i = 0; i < n->MapSize(); ++i) {
        check_value(n->Value(i), path + "." + n->Key(i)->value);
      }
      return;
    }
    for (std::size_t i = 0; i < n->children.size(); ++i) {
      const yaml::Node* e = n->children[i];
      const std::string p = path + "[" + std::to_string(i) + "]";
      if (!e->IsMap() || e->MapSize() != 1) {
        // smi-sdk-go's codec rejects this ("incorrect length of keyval").
        Report(DiagCode::MP0002, e, p,
               p + ": each headers list entry must be a map with exactly one key, found " +
                   (e->IsMap() ? std::to_string(e->MapSize()) + " keys" : Found(e)));
        continue;
      }
      check_value(e->Value(0), p + "." + e->Key(0)->value);
    }
  }

  void Report(DiagCode code, const yaml::Node* at, const std::string& path, std::string msg) {
    ctx_.diags->Report(code, Loc{ctx_.file, at->line, at->column, ctx_.path_prefix + path},
                       std::move(msg), ctx_.resource);
  }

  const Context& ctx_;
};

}  // namespace

void Validate(const yaml::Node* node, const Schema& schema, const Context& ctx) {
  Validator(ctx).Walk(node, schema, "");
}

}  // namespace meshproof::schema
