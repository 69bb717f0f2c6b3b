// schema.h (private): object schemas as data, and one validator for all of them.
//
// Each (kind, SMI version) has a Schema tree mirroring the SMI CRDs
// (docs/reference/smi-semantics.md section 5) and the spec prose. The validator reports MP0002
// (missing required field, wrong type, value outside an enum) and MP0004 (a field this version does
// not have: the API server would prune it silently). Kubernetes kinds get "open" schemas that check
// only the fields meshproof reads.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/yaml_tree.h"

namespace meshproof::schema {

enum class Type : std::uint8_t {
  kObject,
  kArray,
  kString,
  kInt,     // a YAML integer
  kNumber,  // integer or float (CRD `type: number`)
  kBool,
  kIntOrString,  // x-kubernetes-int-or-string (Service targetPort)
  kQuantity,     // resource.Quantity: a number or a string (grammar checked by the converter)
  kHeaders,      // HTTPRouteGroup headers: map of string, or list of single-key maps
  kAny,
};

struct NamedSchema;  // a field: defined below, once Schema is complete

struct Schema {
  Type type = Type::kAny;
  std::vector<NamedSchema> fields;    // kObject (a vector of an incomplete type is fine;
                                      // a std::pair of one is not, for clang)
  std::vector<std::string> required;  // kObject
  bool open = false;            // kObject: unknown fields are fine (partial Kubernetes schema)
  std::vector<Schema> element;  // kArray: one item schema; kObject: map value schema if set
  std::vector<std::string> enum_values;  // kString

  const Schema* Field(std::string_view name) const;
};

struct NamedSchema {
  std::string name;
  Schema schema;
};

// Builders, so schema tables read like the CRDs.
Schema Str();
Schema Enum(std::vector<std::string> values);
Schema Int();
Schema Number();
Schema Bool();
Schema IntOrString();
Schema Quantity();
Schema Headers();
Schema Any();
Schema ArrayOf(Schema item);
Schema MapOf(Schema value);  // free-form keys (labels, selectors)
Schema Obj(std::vector<std::pair<std::string, Schema>> fields,
           std::vector<std::string> required = {});
Schema OpenObj(std::vector<std::pair<std::string, Schema>> fields,
               std::vector<std::string> required = {});

struct Context {
  FileId file = kNoFile;
  std::string what;  // "TrafficTarget access.smi-spec.io/v1alpha3", for messages
  ObjectRef resource;
  std::string path_prefix;  // "items[3]." inside a List, else ""
  Diagnostics* diags = nullptr;
  /// For an unknown field at `path`: an explanation of where it belongs instead ("it lives
  /// at the top level in v1alpha1"), or "" when there is none.
  std::function<std::string(const std::string& path)> hint;
};

/// Validates `node` (the object's root map) against `schema`. Diagnostics go to ctx.diags.
void Validate(const yaml::Node* node, const Schema& schema, const Context& ctx);

/// True when `node` fits `schema`'s type (not its fields): used by extraction to skip what
/// the validator already reported.
bool TypeFits(const yaml::Node* node, Type type);

}  // namespace meshproof::schema
