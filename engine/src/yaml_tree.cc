#include "meshproof/engine/yaml_tree.h"

#include <algorithm>
#include <cstring>
#include <istream>
#include <streambuf>
#include <string>
#include <unordered_map>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace meshproof::yaml {
namespace {

// A read-only streambuf over a memory range, so yaml-cpp reads the bytes in place.
class MemoryBuffer : public std::streambuf {
 public:
  explicit MemoryBuffer(std::string_view text) {
    char* p = const_cast<char*>(text.data());  // never written: no put area
    setg(p, p, p + text.size());
  }
};

// Thrown inside the event handler to abandon the current document; caught in ParseChunk.
struct AbortDocument {
  YAML::Mark mark;
  std::string message;
};

class TreeBuilder : public YAML::EventHandler {
 public:
  // max_nodes bounds the nodes one chunk may create: every node costs at least one byte of
  // input, so more nodes than bytes means the parser is looping (yaml-cpp 0.7.0 does on
  // some malformed flow collections, allocating until memory runs out).
  TreeBuilder(ParsedFile* out, const ParseLimits& limits, std::size_t max_nodes)
      : out_(out), limits_(limits), max_nodes_(max_nodes) {}

  void OnDocumentStart(const YAML::Mark&) override {
    stack_.clear();
    anchors_.clear();
    root_ = nullptr;
  }
  void OnDocumentEnd() override { finished_.push_back(root_); }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node* n = NewNode(NodeKind::kNull, mark);
    Attach(n, anchor, mark);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || anchors_[anchor] == nullptr) {
      throw AbortDocument{mark, "alias refers to an unknown anchor"};
    }
    const Node* target = anchors_[anchor];
    for (const Frame& f : stack_) {
      if (f.node == target)
        throw AbortDocument{mark, "recursive alias: an anchor refers to itself"};
    }
    AttachExisting(target, mark);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node* n = NewNode(NodeKind::kScalar, mark);
    SetTag(n, tag);
    n->value = value;
    Attach(n, anchor, mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Node* n = NewNode(NodeKind::kSequence, mark);
    SetTag(n, tag);
    Attach(n, anchor, mark);
    stack_.push_back({n});
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Node* n = NewNode(NodeKind::kMap, mark);
    SetTag(n, tag);
    Attach(n, anchor, mark);
    stack_.push_back({n});
  }
  void OnMapEnd() override {
    Node* map = stack_.back().node;
    RemoveDuplicateKeys(map);
    Close();
  }

  // Documents completed so far (nullptr = empty document).
  std::vector<const Node*>& finished() { return finished_; }
  // Duplicate keys found: (key node of the later occurrence, line of the first).
  std::vector<std::pair<const Node*, std::uint32_t>>& duplicates() { return duplicates_; }

 private:
  struct Frame {
    Node* node;
  };

  Node* NewNode(NodeKind kind, const YAML::Mark& mark) {
    if (++created_ > max_nodes_) {
      throw AbortDocument{mark,
                          "the YAML parser is producing more nodes than the document has "
                          "bytes (malformed input); document ignored"};
    }
    Node& n = out_->arena.emplace_back();
    n.kind = kind;
    n.line = static_cast<std::uint32_t>(mark.line + 1);
    n.column = static_cast<std::uint32_t>(mark.column + 1);
    return &n;
  }
  static void SetTag(Node* n, const std::string& tag) {
    if (tag == "!") {
      n->quoted = true;  // quoted or block scalar: non-specific "!" tag
    } else if (tag != "?" && !tag.empty()) {
      n->tag = tag;
    }
  }
  void Attach(Node* n, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (anchor != YAML::NullAnchor) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, nullptr);
      anchors_[anchor] = n;
    }
    AttachExisting(n, mark);
  }
  void AttachExisting(const Node* n, const YAML::Mark& mark) {
    if (stack_.empty()) {
      root_ = n;
      return;
    }
    Node* parent = stack_.back().node;
    parent->children.push_back(n);
    // Expanded sizes propagate when containers close; an alias adds its target's full
    // size right away, so a bomb is caught before it is built any further.
    parent->expanded += n->expanded;
    if (parent->expanded > limits_.max_alias_expansion) {
      throw AbortDocument{mark, "aliases expand this document beyond " +
                                    std::to_string(limits_.max_alias_expansion) +
                                    " nodes (alias bomb); document ignored"};
    }
  }
  void Close() {
    Node* done = stack_.back().node;
    stack_.pop_back();
    if (!stack_.empty()) {
      Node* parent = stack_.back().node;
      // `done` was counted as 1 when attached; add what it grew since.
      parent->expanded += done->expanded - 1;
      if (parent->expanded > limits_.max_alias_expansion) {
        throw AbortDocument{YAML::Mark(), "aliases expand this document beyond " +
                                              std::to_string(limits_.max_alias_expansion) +
                                              " nodes (alias bomb); document ignored"};
      }
    }
  }
  void RemoveDuplicateKeys(Node* map) {
    const std::size_t n = map->MapSize();
    if (n < 2) return;
    // Later occurrences win, as JSON decoders and kubectl's non-strict mode behave.
    std::unordered_map<std::string_view, std::size_t> last;
    last.reserve(n);
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
      const Node* k = map->Key(i);
      if (!k->IsScalar()) continue;
      auto [it, inserted] = last.try_emplace(k->value, i);
      if (!inserted) {
        duplicates_.emplace_back(k, map->Key(it->second)->line);
        it->second = i;
        any = true;
      }
    }
    if (!any) return;
    std::vector<const Node*> kept;
    kept.reserve(map->children.size());
    for (std::size_t i = 0; i < n; ++i) {
      const Node* k = map->Key(i);
      if (k->IsScalar() && last[k->value] != i) continue;
      kept.push_back(k);
      kept.push_back(map->Value(i));
    }
    map->children = std::move(kept);
  }

  ParsedFile* out_;
  const ParseLimits& limits_;
  std::size_t max_nodes_;
  std::size_t created_ = 0;
  std::vector<Frame> stack_;
  std::vector<const Node*> anchors_;
  const Node* root_ = nullptr;
  std::vector<const Node*> finished_;
  std::vector<std::pair<const Node*, std::uint32_t>> duplicates_;
};

struct Chunk {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::uint32_t first_line = 1;
};

bool IsMarker(std::string_view line, std::string_view marker) {
  if (line.substr(0, 3) != marker) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' ||
         line[3] == '\n';
}

// Splits a stream at `---` / `...` lines so a syntax error in one document does not lose
// the documents after it. Document markers at column 0 always delimit documents in YAML,
// even inside block scalars, so this split is exact.
std::vector<Chunk> SplitDocuments(std::string_view text) {
  std::vector<Chunk> chunks;
  Chunk cur;
  bool has_content = false;
  std::uint32_t line_no = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view line = text.substr(pos, next - pos);
    if (IsMarker(line, "---")) {
      if (has_content) {
        cur.end = pos;
        chunks.push_back(cur);
        cur = Chunk{pos, 0, line_no};
      }
      has_content = true;  // the marker line itself may carry content (`--- {a: 1}`)
    } else if (IsMarker(line, "...")) {
      cur.end = next;
      chunks.push_back(cur);
      cur = Chunk{next, 0, line_no + 1};
      has_content = false;
    } else if (!has_content) {
      std::size_t first = line.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && line[first] != '#' && line[0] != '%') {
        has_content = true;
      }
    }
    pos = next;
    ++line_no;
  }
  if (has_content) {
    cur.end = text.size();
    chunks.push_back(cur);
  }
  return chunks;
}

// Returns the offset of the first invalid UTF-8 sequence, or npos.
std::size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000;
    } else {
      return i;
    }
    if (i + len > n) return i;
    std::uint32_t cp = c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

void LineColumnOf(std::string_view text, std::size_t offset, std::uint32_t* line,
                  std::uint32_t* column) {
  std::uint32_t l = 0;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++l;
      line_start = i + 1;
    }
  }
  *line = l;
  *column = static_cast<std::uint32_t>(offset - line_start + 1);
}

void ShiftLines(ParsedFile* out, std::size_t first_node, std::uint32_t offset) {
  for (std::size_t i = first_node; i < out->arena.size(); ++i) out->arena[i].line += offset;
}

void ParseChunk(std::string_view text, const Chunk& chunk, FileId file, const ParseLimits& limits,
                ParsedFile* out, Diagnostics* diags) {
  std::string_view body = text.substr(chunk.begin, chunk.end - chunk.begin);
  const std::uint32_t line_offset = chunk.first_line - 1;
  if (std::size_t bad = FindInvalidUtf8(body); bad != std::string_view::npos) {
    std::uint32_t l = 0, c = 0;
    LineColumnOf(body, bad, &l, &c);
    diags->Report(
        DiagCode::MP0001, Loc{file, line_offset + l + 1, c, ""}, "invalid UTF-8 (byte 0x" + [&] {
          static const char* hex = "0123456789abcdef";
          unsigned char b = static_cast<unsigned char>(body[bad]);
          return std::string{hex[b >> 4], hex[b & 15]};
        }() + "); YAML and JSON must be UTF-8, document ignored");
    return;
  }
  const std::size_t first_node = out->arena.size();
  TreeBuilder builder(out, limits, body.size() + 16);
  MemoryBuffer buffer(body);
  std::istream stream(&buffer);
  auto report = [&](const YAML::Mark& mark, const std::string& msg) {
    Loc loc{file, 0, 0, ""};
    if (!mark.is_null()) {
      loc.line = line_offset + static_cast<std::uint32_t>(mark.line) + 1;
      loc.column = static_cast<std::uint32_t>(mark.column) + 1;
    } else {
      loc.line = chunk.first_line;
      loc.column = 1;
    }
    diags->Report(DiagCode::MP0001, std::move(loc), msg);
  };
  try {
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const AbortDocument& e) {
    report(e.mark, e.message);
  } catch (const YAML::DeepRecursion& e) {
    report(e.mark, "nesting deeper than 2000 levels; document ignored");
  } catch (const YAML::Exception& e) {
    report(e.mark, e.msg);
  } catch (const std::exception& e) {
    report(YAML::Mark::null_mark(), std::string("YAML parser failed: ") + e.what());
  }
  // Documents completed before any error are kept.
  ShiftLines(out, first_node, line_offset);
  for (auto& [key, first_line] : builder.duplicates()) {
    diags->Report(DiagCode::MP0001, Loc{file, key->line, key->column, ""},
                  "duplicate key '" + key->value + "' (first at line " +
                      std::to_string(first_line + line_offset) + "); the later value is used");
  }
  for (const Node* root : builder.finished()) {
    out->documents.push_back(Document{root, chunk.first_line});
  }
}

}  // namespace

const Node* Node::Get(std::string_view key) const {
  if (kind != NodeKind::kMap) return nullptr;
  for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
    const Node* k = children[i];
    if (k->kind == NodeKind::kScalar && k->value == key) return children[i + 1];
  }
  return nullptr;
}

namespace {
bool IsOneOf(std::string_view v, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), v) != options.end();
}
bool IsIntLiteral(std::string_view v) {
  if (v.empty()) return false;
  std::size_t i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
  if (i >= v.size()) return false;
  if (v.substr(i, 2) == "0x" || v.substr(i, 2) == "0b") {
    if (i + 2 >= v.size()) return false;
    for (char c : v.substr(i + 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '_') return false;
    }
    return true;
  }
  if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  for (char c : v.substr(i)) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}
bool IsFloatLiteral(std::string_view v) {
  if (IsOneOf(v, {".inf", ".Inf", ".INF", "+.inf", "-.inf", "+.Inf", "-.Inf", ".nan", ".NaN",
                  ".NAN"})) {
    return true;
  }
  std::size_t i = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '_') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits) {
      ++i;
      if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
      if (i >= v.size()) return false;
      for (; i < v.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
      }
      return true;
    } else {
      return false;
    }
  }
  return digits;
}
}  // namespace

ScalarType Node::Type() const {
  if (kind == NodeKind::kNull) return ScalarType::kNull;
  if (quoted) return ScalarType::kString;
  if (!tag.empty()) {
    if (tag == "tag:yaml.org,2002:str") return ScalarType::kString;
    if (tag == "tag:yaml.org,2002:int") return ScalarType::kInt;
    if (tag == "tag:yaml.org,2002:float") return ScalarType::kFloat;
    if (tag == "tag:yaml.org,2002:bool") return ScalarType::kBool;
    if (tag == "tag:yaml.org,2002:null") return ScalarType::kNull;
  }
  std::string_view v = value;
  if (v.empty() || IsOneOf(v, {"~", "null", "Null", "NULL"})) return ScalarType::kNull;
  // go-yaml v2 (behind kubectl and sigs.k8s.io/yaml) resolves YAML 1.1 booleans.
  if (IsOneOf(v,
              {"y",    "Y",    "yes",   "Yes",   "YES",   "n",  "N",  "no", "No",  "NO",  "true",
               "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"})) {
    return ScalarType::kBool;
  }
  if (IsIntLiteral(v)) return ScalarType::kInt;
  if (IsFloatLiteral(v)) return ScalarType::kFloat;
  return ScalarType::kString;
}

bool Node::BoolValue() const {
  return Type() == ScalarType::kBool &&
         IsOneOf(value, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"});
}

const char* Node::TypeName() const {
  switch (kind) {
    case NodeKind::kMap:
      return "map";
    case NodeKind::kSequence:
      return "list";
    case NodeKind::kNull:
      return "null";
    case NodeKind::kScalar:
      break;
  }
  switch (Type()) {
    case ScalarType::kString:
      return "string";
    case ScalarType::kNull:
      return "null";
    case ScalarType::kBool:
      return "boolean";
    case ScalarType::kInt:
      return "integer";
    case ScalarType::kFloat:
      return "number";
  }
  return "scalar";
}

void ParseFile(std::string_view text, FileId file, const ParseLimits& limits, ParsedFile* out,
               Diagnostics* diags) {
  for (const Chunk& chunk : SplitDocuments(text)) {
    ParseChunk(text, chunk, file, limits, out, diags);
  }
}

}  // namespace meshproof::yaml
