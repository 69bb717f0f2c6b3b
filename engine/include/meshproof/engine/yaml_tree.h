// yaml_tree.h: a located YAML tree built from yaml-cpp's event API (engine loader, scenario files).
//
// Why not YAML::Node: we need a line and column on every node, detection of duplicate
// keys (YAML::Node silently keeps one), control over alias expansion (billion-laughs
// documents must be rejected, not expanded), and speed. Nodes live in an arena owned by the
// YamlDocument; aliases share the anchored node instead of copying it.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "meshproof/engine/diagnostics.h"

namespace meshproof::yaml {

enum class NodeKind : std::uint8_t { kNull, kScalar, kSequence, kMap };

/// The type a plain scalar resolves to under YAML 1.1 as kubectl reads it (go-yaml v2:
/// `yes`/`on` are booleans, `0777` is octal).
enum class ScalarType : std::uint8_t { kString, kNull, kBool, kInt, kFloat };

struct Node {
  NodeKind kind = NodeKind::kNull;
  bool quoted = false;       // scalar written quoted or as a block scalar (always a string)
  std::uint32_t line = 0;    // 1-based, in the file
  std::uint32_t column = 0;  // 1-based
  std::string tag;           // explicit tag, "" when none
  std::string value;         // scalar text
  /// Sequence: items. Map: keys and values interleaved (k0, v0, k1, v1, ...).
  std::vector<const Node*> children;
  /// Internal to the parser: node count with aliases expanded (alias-bomb guard).
  std::uint64_t expanded = 1;

  bool IsMap() const { return kind == NodeKind::kMap; }
  bool IsSeq() const { return kind == NodeKind::kSequence; }
  bool IsScalar() const { return kind == NodeKind::kScalar; }
  bool IsNull() const { return kind == NodeKind::kNull; }
  std::size_t MapSize() const { return children.size() / 2; }
  const Node* Key(std::size_t i) const { return children[2 * i]; }
  const Node* Value(std::size_t i) const { return children[2 * i + 1]; }
  /// The value of scalar key `key` in a map; nullptr when absent or not a map.
  const Node* Get(std::string_view key) const;
  /// The resolved type of a scalar (quoted scalars and !!str are strings).
  ScalarType Type() const;
  /// The value of a kBool scalar as go-yaml reads it (true, yes, on, y in any of their
  /// spellings); false for anything else.
  bool BoolValue() const;
  /// "map", "list", "string", "integer", "number", "boolean", "null": for messages.
  const char* TypeName() const;
};

/// One YAML document. root is nullptr for an empty document.
struct Document {
  const Node* root = nullptr;
  std::uint32_t first_line = 1;  // line of the document's first byte in the file
};

/// Parse results for one file: its documents, and the syntax problems found, each as an
/// MP0001 diagnostic (a document with a syntax error is dropped; the others are kept).
struct ParsedFile {
  std::deque<Node> arena;
  std::vector<Document> documents;
};

struct ParseLimits {
  std::size_t max_alias_expansion = 1'000'000;
};

/// Splits `text` at document markers and parses each document. Diagnostics (MP0001) go to
/// `diags`, located in `file`. Never throws.
void ParseFile(std::string_view text, FileId file, const ParseLimits& limits, ParsedFile* out,
               Diagnostics* diags);

}  // namespace meshproof::yaml
