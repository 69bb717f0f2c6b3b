#include "regex_ast.h"

#include <algorithm>
#include <cctype>

namespace meshproof::regex {
namespace {

CharSet Range(int lo, int hi) {
  CharSet s;
  for (int c = lo; c <= hi && c < 128; ++c) s.set(static_cast<std::size_t>(c));
  return s;
}
CharSet Digits() { return Range('0', '9'); }
CharSet Word() { return Range('a', 'z') | Range('A', 'Z') | Digits() | Range('_', '_'); }
// RE2's Perl class \s is [\t\n\f\r ]: no vertical tab (found by the differential test
// over classes of escapes), unlike POSIX [:space:].
CharSet Space() {
  CharSet s;
  for (char c : std::string(" \t\n\r\f")) s.set(static_cast<unsigned char>(c));
  return s;
}
CharSet PosixSpace() {
  CharSet s = Space();
  s.set(static_cast<unsigned char>('\v'));
  return s;
}
CharSet Any() { return ~Range('\n', '\n'); }  // `.` does not match \n (RE2 default)

Node SetNode(const CharSet& s) {
  Node n;
  n.kind = Kind::kSet;
  n.set = s;
  return n;
}

struct Unsupported {
  std::string construct;
  std::size_t offset;
};
struct Invalid {
  std::string message;
  std::size_t offset;
};
// A pattern past one of the documented limits (regex_ast.h): refused before RE2 is asked,
// so no input depth reaches a recursion.
struct OverLimit {
  std::string message;
  std::size_t offset;
};

class Parser {
 public:
  explicit Parser(const std::string& p) : p_(p) {}

  Node ParseAll() {
    if (p_.compare(0, 4, "(?i)") == 0) {
      ci_ = true;
      pos_ = 4;
    }
    Node n = ParseAlt();
    if (pos_ < p_.size()) {
      if (p_[pos_] == ')') throw Invalid{"unmatched )", pos_};
      throw Invalid{"unexpected character", pos_};
    }
    return n;
  }

 private:
  Node ParseAlt() {
    std::vector<Node> branches;
    branches.push_back(ParseConcat());
    while (pos_ < p_.size() && p_[pos_] == '|') {
      ++pos_;
      branches.push_back(ParseConcat());
    }
    if (branches.size() == 1) return std::move(branches[0]);
    Node n;
    n.kind = Kind::kAlt;
    n.kids = std::move(branches);
    for (const Node& k : n.kids) n.weight = std::max(n.weight, k.weight);
    return n;
  }

  Node ParseConcat() {
    Node n;
    n.kind = Kind::kConcat;
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      n.kids.push_back(ParseRepeat());
      n.weight = std::max(n.weight, n.kids.back().weight);
    }
    if (n.kids.size() == 1) return std::move(n.kids[0]);
    if (n.kids.empty()) n.kind = Kind::kEmpty;
    return n;
  }

  Node ParseRepeat() {
    std::size_t at = pos_;
    Node atom = ParseAtom();
    std::size_t op_at = std::string::npos;  // where the one repetition operator began
    for (;;) {
      if (pos_ >= p_.size()) break;
      std::size_t this_op = pos_;
      char c = p_[pos_];
      int lo, hi;
      if (c == '*') {
        lo = 0, hi = -1, ++pos_;
      } else if (c == '+') {
        lo = 1, hi = -1, ++pos_;
      } else if (c == '?') {
        lo = 0, hi = 1, ++pos_;
      } else if (c == '{' && ParseBraces(&lo, &hi)) {
      } else {
        break;
      }
      if (atom.kind == Kind::kBol || atom.kind == Kind::kEol)
        throw Invalid{"missing argument to repetition operator", at};
      // RE2 refuses a repetition of a repetition ("a**", "a{2}{3}"), and so do we: it
      // would also let input length drive the depth of the tree.
      if (op_at != std::string::npos)
        throw Invalid{"bad repetition operator: " + p_.substr(op_at, pos_ - op_at), op_at};
      op_at = this_op;
      if (pos_ < p_.size() && p_[pos_] == '?') ++pos_;  // lazy: same language
      if (pos_ < p_.size() && p_[pos_] == '+') throw Unsupported{"possessive quantifier", pos_};
      if (hi >= 0 && hi < lo) throw Invalid{"bad repetition operator", at};
      if (lo > kMaxRepeat || hi > kMaxRepeat)
        throw Invalid{"bad repetition operator (over " + std::to_string(kMaxRepeat) + ")", at};
      Node r;
      r.kind = Kind::kRepeat;
      r.min = lo;
      r.max = hi;
      r.weight = atom.weight;
      if (c == '{') r.weight *= std::max(1, hi >= 0 ? hi : lo);
      if (r.weight > kMaxRepeat)
        throw OverLimit{"nested repetition counts multiply to more than " +
                            std::to_string(kMaxRepeat) + " (RE2's limit)",
                        at};
      r.kids.push_back(std::move(atom));
      atom = std::move(r);
    }
    return atom;
  }

  // {m}, {m,}, {m,n}; false (position unchanged) when it is a literal '{' as RE2 reads it.
  bool ParseBraces(int* lo, int* hi) {
    std::size_t i = pos_ + 1;
    auto number = [&](int* out) {
      std::size_t start = i;
      // RE2 refuses leading zeros ("{00}", "{01,2}"): the brace is then a literal, not a
      // repetition (found by the regex fuzzer).
      if (i + 1 < p_.size() && p_[i] == '0' && std::isdigit(static_cast<unsigned char>(p_[i + 1])))
        return false;
      long v = 0;
      while (i < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i]))) {
        v = v * 10 + (p_[i] - '0');
        if (v > 100000) v = 100000;
        ++i;
      }
      *out = static_cast<int>(v);
      return i > start;
    };
    if (!number(lo)) return false;
    if (i < p_.size() && p_[i] == '}') {
      *hi = *lo;
    } else if (i < p_.size() && p_[i] == ',') {
      ++i;
      if (i < p_.size() && p_[i] == '}') {
        *hi = -1;
      } else if (!number(hi) || i >= p_.size() || p_[i] != '}') {
        return false;
      }
    } else {
      return false;
    }
    pos_ = i + 1;
    return true;
  }

  Node ParseAtom() {
    char c = p_[pos_];
    switch (c) {
      case '(':
        return ParseGroup();
      case '[': {
        Node n = SetNode(Fold(ParseClass()));
        n.beyond = beyond_;
        return n;
      }
      case '.': {
        ++pos_;
        Node n = SetNode(Any());
        n.beyond = true;
        return n;
      }
      case '^': {
        ++pos_;
        Node n;
        n.kind = Kind::kBol;
        return n;
      }
      case '$': {
        ++pos_;
        Node n;
        n.kind = Kind::kEol;
        return n;
      }
      case '\\': {
        Node n = SetNode(Fold(ParseEscape(false)));
        n.beyond = beyond_;
        return n;
      }
      case '*':
      case '+':
      case '?':
        throw Invalid{"missing argument to repetition operator", pos_};
      default:
        break;
    }
    if (static_cast<unsigned char>(c) >= 128) throw Unsupported{"non-ASCII character", pos_};
    ++pos_;
    CharSet s;
    s.set(static_cast<unsigned char>(c));
    return SetNode(Fold(s));
  }

  Node ParseGroup() {
    std::size_t at = pos_;
    if (++depth_ > kMaxNestingDepth)
      throw OverLimit{"groups nested deeper than " + std::to_string(kMaxNestingDepth), at};
    ++pos_;  // (
    bool saved_ci = ci_;
    if (p_.compare(pos_, 1, "?") == 0) {
      if (p_.compare(pos_, 2, "?:") == 0) {
        pos_ += 2;
      } else if (p_.compare(pos_, 3, "?P<") == 0 ||
                 (p_.compare(pos_, 2, "?<") == 0 && p_.compare(pos_, 3, "?<=") != 0 &&
                  p_.compare(pos_, 3, "?<!") != 0)) {
        std::size_t close = p_.find('>', pos_);
        if (close == std::string::npos) throw Invalid{"invalid named capture group", at};
        pos_ = close + 1;
      } else if (p_.compare(pos_, 2, "?=") == 0 || p_.compare(pos_, 2, "?!") == 0) {
        throw Unsupported{"lookahead (?" + std::string(1, p_[pos_ + 1]) + "...) (not RE2)", at};
      } else if (p_.compare(pos_, 3, "?<=") == 0 || p_.compare(pos_, 3, "?<!") == 0) {
        throw Unsupported{"lookbehind (not RE2)", at};
      } else if (p_.compare(pos_, 3, "?i:") == 0) {
        ci_ = true;
        pos_ += 3;
      } else if (p_.compare(pos_, 3, "?i)") == 0) {
        throw Unsupported{"(?i) after the start of the pattern", at};
      } else {
        throw Unsupported{"group flags " + p_.substr(pos_ - 1, 4), at};
      }
    }
    Node inner = ParseAlt();
    if (pos_ >= p_.size() || p_[pos_] != ')') throw Invalid{"missing )", at};
    ++pos_;
    ci_ = saved_ci;
    --depth_;
    return inner;
  }

  CharSet ParseClass() {
    std::size_t at = pos_;
    ++pos_;  // [
    bool negate = false;
    if (pos_ < p_.size() && p_[pos_] == '^') {
      negate = true;
      ++pos_;
    }
    CharSet s;
    bool beyond = false;  // whether the listed items match characters beyond ASCII
    bool first = true;
    while (pos_ < p_.size() && (p_[pos_] != ']' || first)) {
      first = false;
      if (p_.compare(pos_, 2, "[:") == 0) {
        std::size_t close = p_.find(":]", pos_);
        if (close == std::string::npos) throw Invalid{"invalid character class", pos_};
        std::string name = p_.substr(pos_ + 2, close - pos_ - 2);
        s |= Posix(name, pos_);
        pos_ = close + 2;
        continue;
      }
      int lo;
      CharSet single;
      if (p_[pos_] == '\\') {
        single = ParseEscape(true);
        beyond = beyond || beyond_;
        if (single.count() != 1) {  // \d, \w ... inside a class
          s |= single;
          continue;
        }
        lo = FirstOf(single);
      } else {
        if (static_cast<unsigned char>(p_[pos_]) >= 128)
          throw Unsupported{"non-ASCII character", pos_};
        lo = static_cast<unsigned char>(p_[pos_++]);
      }
      if (pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        int hi;
        if (p_[pos_] == '\\') {
          CharSet e = ParseEscape(true);
          if (e.count() != 1) throw Invalid{"invalid character class range", pos_};
          hi = FirstOf(e);
        } else {
          if (static_cast<unsigned char>(p_[pos_]) >= 128)
            throw Unsupported{"non-ASCII character", pos_};
          hi = static_cast<unsigned char>(p_[pos_++]);
        }
        if (hi < lo) throw Invalid{"invalid character class range", at};
        s |= Range(lo, hi);
      } else {
        s.set(static_cast<std::size_t>(lo));
      }
    }
    if (pos_ >= p_.size()) throw Invalid{"missing ]", at};
    ++pos_;  // ]
    if (ci_) s = Fold(s);
    beyond_ = negate ? !beyond : beyond;
    return negate ? ~s : s;
  }

  static int FirstOf(const CharSet& s) {
    for (int c = 0; c < 128; ++c) {
      if (s.test(static_cast<std::size_t>(c))) return c;
    }
    return 0;
  }

  CharSet Posix(const std::string& name, std::size_t at) const {
    if (name == "alpha") return Range('a', 'z') | Range('A', 'Z');
    if (name == "digit") return Digits();
    if (name == "alnum") return Range('a', 'z') | Range('A', 'Z') | Digits();
    if (name == "upper") return Range('A', 'Z');
    if (name == "lower") return Range('a', 'z');
    if (name == "space") return PosixSpace();
    if (name == "xdigit") return Digits() | Range('a', 'f') | Range('A', 'F');
    if (name == "word") return Word();
    if (name == "punct")
      return Range('!', '/') | Range(':', '@') | Range('[', '`') | Range('{', '~');
    throw Unsupported{"POSIX class [:" + name + ":]", at};
  }

  CharSet ParseEscape(bool in_class) {
    std::size_t at = pos_;
    if (pos_ + 1 >= p_.size()) throw Invalid{"trailing \\", at};
    char e = p_[pos_ + 1];
    pos_ += 2;
    // \D, \W and \S also match every character beyond ASCII (RE2's Perl classes are ASCII).
    beyond_ = e == 'D' || e == 'W' || e == 'S';
    CharSet s;
    switch (e) {
      case 'd':
        return Digits();
      case 'D':
        return ~Digits();
      case 'w':
        return Word();
      case 'W':
        return ~Word();
      case 's':
        return Space();
      case 'S':
        return ~Space();
      case 't':
        s.set('\t');
        return s;
      case 'n':
        s.set('\n');
        return s;
      case 'r':
        s.set('\r');
        return s;
      case 'f':
        s.set('\f');
        return s;
      case 'v':
        s.set('\v');
        return s;
      case 'a':
        s.set('\a');
        return s;
      case 'x': {
        std::string hex;
        if (pos_ < p_.size() && p_[pos_] == '{') {
          std::size_t close = p_.find('}', pos_);
          if (close == std::string::npos) throw Invalid{"invalid escape \\x{", at};
          hex = p_.substr(pos_ + 1, close - pos_ - 1);
          pos_ = close + 1;
        } else {
          hex = p_.substr(pos_, 2);
          pos_ += 2;
        }
        if (hex.empty() || hex.size() > 6 ||
            hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
          throw Invalid{"invalid escape \\x", at};
        }
        long v = std::stol(hex, nullptr, 16);
        if (v >= 128) throw Unsupported{"non-ASCII character \\x" + hex, at};
        s.set(static_cast<std::size_t>(v));
        return s;
      }
      case 'b':
      case 'B':
        if (!in_class) throw Unsupported{std::string("word boundary \\") + e, at};
        break;
      case 'A':
      case 'z':
        throw Unsupported{std::string("text anchor \\") + e, at};
      case 'p':
      case 'P':
        throw Unsupported{std::string("Unicode class \\") + e, at};
      case 'Q':
        throw Unsupported{"\\Q...\\E literal", at};
      case 'C':
        throw Unsupported{"\\C (any byte)", at};
      default:
        break;
    }
    if (std::isdigit(static_cast<unsigned char>(e))) {
      throw Unsupported{std::string("backreference \\") + e + " (not RE2)", at};
    }
    if (std::isalnum(static_cast<unsigned char>(e)))
      throw Invalid{std::string("invalid escape sequence \\") + e, at};
    if (static_cast<unsigned char>(e) >= 128) throw Unsupported{"non-ASCII character", at};
    s.set(static_cast<unsigned char>(e));  // \. \/ \- \\ \( ... : the punctuation itself
    return s;
  }

  CharSet Fold(CharSet s) const {
    if (!ci_) return s;
    for (int c = 'a'; c <= 'z'; ++c) {
      if (s.test(static_cast<std::size_t>(c)) || s.test(static_cast<std::size_t>(c - 32))) {
        s.set(static_cast<std::size_t>(c));
        s.set(static_cast<std::size_t>(c - 32));
      }
    }
    return s;
  }

  const std::string& p_;
  std::size_t pos_ = 0;
  bool ci_ = false;
  int depth_ = 0;
  bool beyond_ = false;  // the last class or escape parsed also matches beyond ASCII
};

}  // namespace

ParseResult Parse(const std::string& pattern) {
  ParseResult r;
  if (pattern.size() > kMaxPatternBytes) {
    r.error = "pattern longer than " + std::to_string(kMaxPatternBytes) + " bytes";
    r.over_limit = true;
    return r;
  }
  try {
    r.root = Parser(pattern).ParseAll();
  } catch (const Unsupported& u) {
    r.error = "unsupported construct: " + u.construct;
    r.construct = u.construct;
    r.offset = u.offset;
  } catch (const Invalid& i) {
    r.error = i.message;
    r.offset = i.offset;
  } catch (const OverLimit& l) {
    r.error = l.message;
    r.offset = l.offset;
    r.over_limit = true;
  }
  return r;
}

std::optional<std::vector<Branch>> Branches(const Node& root, std::string* error) {
  std::vector<const Node*> alts;
  if (root.kind == Kind::kAlt) {
    for (const Node& k : root.kids) alts.push_back(&k);
  } else {
    alts.push_back(&root);
  }
  auto has_anchor = [](const Node& n, auto&& self) -> bool {
    if (n.kind == Kind::kBol || n.kind == Kind::kEol) return true;
    for (const Node& k : n.kids) {
      if (self(k, self)) return true;
    }
    return false;
  };
  std::vector<Branch> out;
  for (const Node* a : alts) {
    Branch b;
    std::vector<Node> items;
    if (a->kind == Kind::kConcat) {
      items = a->kids;
    } else if (a->kind != Kind::kEmpty) {
      items.push_back(*a);
    }
    while (!items.empty() && items.front().kind == Kind::kBol) {
      b.bol = true;
      items.erase(items.begin());
    }
    while (!items.empty() && items.back().kind == Kind::kEol) {
      b.eol = true;
      items.pop_back();
    }
    for (const Node& n : items) {
      if (has_anchor(n, has_anchor)) {
        *error = "unsupported construct: ^ or $ inside a group or in the middle of a pattern";
        return std::nullopt;
      }
    }
    b.body.kind = items.empty() ? Kind::kEmpty : Kind::kConcat;
    b.body.kids = std::move(items);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace meshproof::regex
