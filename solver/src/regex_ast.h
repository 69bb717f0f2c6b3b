// regex_ast.h (private): a parser for the RE2 syntax Envoy-based meshes evaluate, into a
// small AST the Z3 translator walks.
//
// Supported: literals and escapes (\. \/ \t \n \xHH \x{HH} ...), `.`, classes [...] and
// [^...] with ranges and POSIX [:alpha:] forms, \d \w \s and their negations (inside and
// outside classes), * + ? {m} {m,} {m,n} and their lazy forms (same language), groups,
// non-capturing and named groups, alternation, ^ and $ at the start/end of a top-level
// branch, and (?i) (also (?i:...)). Everything else is refused with the construct named:
// backreferences and lookaround (not RE2), word boundaries, \A \z, Unicode classes,
// anchors in the middle of a branch. Nothing is approximated silently.
//
// Limits (hostile input): groups nest at most kMaxNestingDepth deep (RE2's own parser
// stops at 1000 in current releases), a repetition count is at most kMaxRepeat and nested
// counts multiply to at most kMaxRepeat (RE2's "invalid repetition size"), a repetition of
// a repetition is refused as RE2 refuses it ("a**"), and a pattern is at most
// kMaxPatternBytes long. Together they bound the tree's depth, so the recursive walks over
// it (translator, Branches) cannot exhaust a stack.
//
// Characters are ASCII; the translator bounds them to printable ASCII for readable
// witnesses (regex_z3.h says how the rest is handled).
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <vector>

namespace meshproof::regex {

using CharSet = std::bitset<128>;

inline constexpr int kMaxNestingDepth = 1000;
inline constexpr int kMaxRepeat = 1000;
inline constexpr std::size_t kMaxPatternBytes = 64 * 1024;

enum class Kind { kEmpty, kSet, kConcat, kAlt, kRepeat, kBol, kEol };

struct Node {
  Kind kind = Kind::kEmpty;
  CharSet set;             // kSet
  std::vector<Node> kids;  // kConcat, kAlt, kRepeat (one kid)
  int min = 0, max = -1;   // kRepeat; max -1 = unbounded
  int weight = 1;          // product of the {m,n} counts nested in this node (RE2's limit)
  bool beyond = false;     // kSet: also matches every character beyond ASCII (`.`, [^a],
                           // \S); `set` is the ASCII part, decided exactly
};

struct ParseResult {
  std::optional<Node> root;
  std::string error;        // empty on success
  std::string construct;    // the unsupported construct, when that is the error
  std::size_t offset = 0;   // byte offset of the problem
  bool over_limit = false;  // past one of the limits above (error names it)
};

ParseResult Parse(const std::string& pattern);

/// Top-level branches with their explicit anchors stripped: (starts with ^, ends with $).
struct Branch {
  Node body;
  bool bol = false;
  bool eol = false;
};
/// Splits a parsed root into branches; nullopt (with `error`) when an anchor sits anywhere
/// but the start or end of a top-level branch.
std::optional<std::vector<Branch>> Branches(const Node& root, std::string* error);

}  // namespace meshproof::regex
