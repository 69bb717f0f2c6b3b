#include "meshproof/solver/route_solver.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "regex_ast.h"
#include <re2/re2.h>
#include <z3++.h>

namespace meshproof {
namespace {

using regex::CharSet;
using regex::Kind;
using regex::Node;

// What paths and header values usually look like: witnesses from this alphabet read well.
CharSet Nice() {
  CharSet s;
  for (int c = 'a'; c <= 'z'; ++c) s.set(static_cast<std::size_t>(c));
  for (int c = 'A'; c <= 'Z'; ++c) s.set(static_cast<std::size_t>(c));
  for (int c = '0'; c <= '9'; ++c) s.set(static_cast<std::size_t>(c));
  for (char c : std::string("/-_.")) s.set(static_cast<unsigned char>(c));
  return s;
}

CharSet Printable() {
  CharSet s;
  for (int c = '!'; c <= '~'; ++c) s.set(static_cast<std::size_t>(c));
  return s;
}
CharSet Ascii() { return ~CharSet(); }

// Whether some character set of the pattern also matches characters beyond ASCII, which
// the translator does not model: only then can "no ASCII value" leave the answer open.
// `[^\s\S]` matches nothing anywhere and `[^a]` everything beyond ASCII; both are decided
// from the parse, not from the pattern's spelling.
//
// With `one_language` (a membership in the pattern alone, perhaps under an ASCII prefix),
// a set that has ASCII members cannot matter: a value that used a character beyond ASCII
// there is still admitted with an ASCII member in its place. Only sets whose members are
// all beyond ASCII keep the answer open then.
bool MayMatchBeyondAscii(const std::string& pattern, bool one_language) {
  regex::ParseResult p = regex::Parse(pattern);
  if (!p.root) return true;
  std::vector<const regex::Node*> stack{&*p.root};
  while (!stack.empty()) {
    const regex::Node* n = stack.back();
    stack.pop_back();
    if (n->kind == regex::Kind::kSet && n->beyond && (!one_language || n->set.none())) return true;
    for (const regex::Node& k : n->kids) stack.push_back(&k);
  }
  return false;
}

// A member of the node's language built directly: the shortest choices and the most
// readable characters. nullopt when a character set is empty. Callers re-check with RE2.
std::optional<std::string> Construct(const Node& n) {
  static const std::string preference =
      "abcdefghijklmnopqrstuvwxyz0123456789/-_.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      "!\"#$%&'()*+,:;<=>?@[\\]^`{|}~ ";
  switch (n.kind) {
    case Kind::kEmpty:
    case Kind::kBol:
    case Kind::kEol:
      return std::string();
    case Kind::kSet:
      for (char c : preference) {
        if (n.set.test(static_cast<unsigned char>(c))) return std::string(1, c);
      }
      for (int c = 0; c < 128; ++c) {
        if (n.set.test(static_cast<std::size_t>(c))) return std::string(1, static_cast<char>(c));
      }
      return std::nullopt;
    case Kind::kConcat: {
      std::string out;
      for (const Node& k : n.kids) {
        auto part = Construct(k);
        if (!part) return std::nullopt;
        out += *part;
      }
      return out;
    }
    case Kind::kAlt:
      for (const Node& k : n.kids) {
        if (auto part = Construct(k)) return part;
      }
      return std::nullopt;
    case Kind::kRepeat: {
      if (n.min == 0) return std::string();
      auto part = Construct(n.kids[0]);
      if (!part) return std::nullopt;
      std::string out;
      for (int i = 0; i < n.min; ++i) out += *part;
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace

RegexCheck CheckRegexUncached(const std::string& pattern);

RegexCheck CheckRegex(const std::string& pattern) {
  // Meshes repeat a few patterns across thousands of matches.
  thread_local std::unordered_map<std::string, RegexCheck> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 4096) cache.clear();
  return cache[pattern] = CheckRegexUncached(pattern);
}

RegexCheck CheckRegexUncached(const std::string& pattern) {
  RegexCheck r;
  // Our parser first: it names constructs (backreference, lookahead) where RE2 only says
  // "invalid escape sequence".
  regex::ParseResult p = regex::Parse(pattern);
  if (!p.root && (!p.construct.empty() || p.over_limit)) {
    r.ok = false;
    r.error = p.error;
    return r;
  }
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) {
    r.ok = false;
    r.error = re.error();
    return r;
  }
  if (!p.root) {  // RE2 accepts what our parser calls invalid: a parser gap, say so
    r.ok = false;
    r.error = "unsupported construct: " + p.error;
    return r;
  }
  std::string err;
  if (!regex::Branches(*p.root, &err)) {
    r.ok = false;
    r.error = err;
  }
  return r;
}

bool Re2Admits(const std::string& pattern, const std::string& value, RegexAnchoring anchoring) {
  // Compiled patterns, per thread: RE2 objects are immutable once built, and meshes ask
  // about a handful of patterns thousands of times. Bounded against meshes of unique ones.
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> compiled;
  auto it = compiled.find(pattern);
  if (it == compiled.end()) {
    if (compiled.size() >= 4096) compiled.clear();
    it = compiled.emplace(pattern, std::make_unique<RE2>(pattern, RE2::Quiet)).first;
  }
  const RE2& re = *it->second;
  if (!re.ok()) return false;
  RE2::Anchor anchor = anchoring == RegexAnchoring::kFull     ? RE2::ANCHOR_BOTH
                       : anchoring == RegexAnchoring::kPrefix ? RE2::ANCHOR_START
                                                              : RE2::UNANCHORED;
  return re.Match(value, 0, value.size(), anchor, nullptr, 0);
}

struct RouteSolver::Impl {
  Impl(unsigned timeout, SolverBudget* b) : timeout_ms(timeout), budget(b) {}

  // Sets the per-call limits: the timeout and, under a budget, the resource units left.
  // False (with `why`) when the budget is already spent.
  bool Limit(z3::solver* s, std::string* why) {
    z3::params params(ctx);
    params.set("timeout", timeout_ms);
    if (budget != nullptr) {
      if (budget->Exhausted()) {
        *why = budget->Why();
        return false;
      }
      const std::uint64_t left = budget->Remaining();
      params.set("rlimit", static_cast<unsigned>(std::min<std::uint64_t>(left, 4'000'000'000u)));
    }
    s->set(params);
    return true;
  }

  // Charges the resource units the context counted since the last call (Z3's "rlimit
  // count" is cumulative per context).
  void Charge(const z3::solver& s) {
    if (budget == nullptr) return;
    const z3::stats st = s.statistics();
    for (unsigned i = 0; i < st.size(); ++i) {
      if (st.key(i) != "rlimit count") continue;
      const auto count =
          static_cast<std::uint64_t>(st.is_uint(i) ? st.uint_value(i) : st.double_value(i));
      if (count > rlimit_seen) budget->Charge(count - rlimit_seen);
      rlimit_seen = count;
    }
  }

  z3::sort ReSort() {
    z3::sort str = ctx.string_sort();
    return ctx.re_sort(str);
  }
  z3::expr Eps() { return z3::to_re(ctx.string_val("", 0)); }

  // Regex union. Not `|`: in z3++ 4.8.12 that is bit-vector OR and yields a null AST on
  // regexes (without an error) when assertions are off.
  z3::expr Union(const z3::expr& a, const z3::expr& b) {
    Z3_ast args[2] = {a, b};
    Z3_ast r = Z3_mk_re_union(ctx, 2, args);
    ctx.check_error();
    return z3::expr(ctx, r);
  }

  z3::expr Set(const CharSet& s) {
    std::optional<z3::expr> out;
    for (int c = 0; c < 128;) {
      if (!s.test(static_cast<std::size_t>(c))) {
        ++c;
        continue;
      }
      int d = c;
      while (d + 1 < 128 && s.test(static_cast<std::size_t>(d + 1))) ++d;
      char lo = static_cast<char>(c), hi = static_cast<char>(d);
      z3::expr r = z3::range(ctx.string_val(&lo, 1), ctx.string_val(&hi, 1));
      out = out ? Union(*out, r) : r;
      c = d + 1;
    }
    return out ? *out : z3::re_empty(ReSort());
  }

  z3::expr Translate(const Node& n, const CharSet& alphabet) {
    switch (n.kind) {
      case Kind::kEmpty:
        return Eps();
      case Kind::kSet:
        return Set(n.set & alphabet);
      case Kind::kConcat: {
        std::optional<z3::expr> out;
        for (const Node& k : n.kids) {
          z3::expr e = Translate(k, alphabet);
          out = out ? z3::concat(*out, e) : e;
        }
        return out ? *out : Eps();
      }
      case Kind::kAlt: {
        std::optional<z3::expr> out;
        for (const Node& k : n.kids) {
          z3::expr e = Translate(k, alphabet);
          out = out ? Union(*out, e) : e;
        }
        return out ? *out : z3::re_empty(ReSort());
      }
      case Kind::kRepeat: {
        z3::expr e = Translate(n.kids[0], alphabet);
        if (n.max == 0) return Eps();
        if (n.min == 0 && n.max < 0) return z3::star(e);
        if (n.min == 1 && n.max < 0) return z3::plus(e);
        if (n.min == 0 && n.max == 1) return z3::option(e);
        if (n.max < 0) return e.loop(static_cast<unsigned>(n.min));
        return e.loop(static_cast<unsigned>(n.min), static_cast<unsigned>(n.max));
      }
      case Kind::kBol:
      case Kind::kEol:
        break;  // Branches() strips them; anything else was refused
    }
    return Eps();
  }

  // The language `pattern` admits under `anchoring`, over `alphabet`; nullopt when the
  // pattern is outside the translated subset.
  std::optional<z3::expr> Language(const std::string& pattern, RegexAnchoring anchoring,
                                   const CharSet& alphabet, std::string* error) {
    regex::ParseResult p = regex::Parse(pattern);
    if (!p.root) {
      *error = p.error;
      return std::nullopt;
    }
    auto branches = regex::Branches(*p.root, error);
    if (!branches) return std::nullopt;
    // Z3 4.8.12's regex rewriting grows superlinearly with the pattern (a 1,000-branch
    // alternation takes a minute in an assertion no timeout interrupts), so patterns past
    // a size are answered `unknown` (MP9001) rather than risked.
    if (const std::size_t size = SymbolicSize(*p.root); size > kMaxSymbolicSize) {
      *error = "pattern too large to reason about symbolically (" + std::to_string(size) +
               " regex nodes, counted repetitions expanded; the limit is " +
               std::to_string(kMaxSymbolicSize) + ")";
      return std::nullopt;
    }
    z3::expr sigma = z3::star(Set(alphabet));
    std::optional<z3::expr> out;
    for (const regex::Branch& b : *branches) {
      const bool start = b.bol || anchoring != RegexAnchoring::kSearch;
      const bool end = b.eol || anchoring == RegexAnchoring::kFull;
      z3::expr body = Translate(b.body, alphabet);
      if (!start) body = z3::concat(sigma, body);
      if (!end) body = z3::concat(body, sigma);
      out = out ? Union(*out, body) : body;
    }
    return out;
  }

  static constexpr std::size_t kMaxSymbolicSize = 2000;

  // Nodes of the tree with counted repetitions multiplied out, saturating just past the
  // limit (the tree is at most regex::kMaxNestingDepth deep, so recursion is bounded).
  static std::size_t SymbolicSize(const regex::Node& n) {
    std::size_t size = 1;
    for (const regex::Node& k : n.kids) {
      size += SymbolicSize(k);
      if (size > kMaxSymbolicSize) return size;
    }
    if (n.kind == regex::Kind::kRepeat) {
      const int bound = std::max(n.min, n.max);
      if (bound > 1) size *= static_cast<std::size_t>(bound);
    }
    return std::min(size, kMaxSymbolicSize + 1);
  }

  // One membership of a fresh string in `lang`; the model's value when sat.
  StringAnswer Solve(const z3::expr& lang) {
    StringAnswer a;
    try {
      z3::solver s(ctx);
      if (!Limit(&s, &a.detail)) return a;  // unknown: the budget is spent
      z3::expr x = ctx.string_const("x");
      s.add(z3::in_re(x, lang));
      const z3::check_result result = s.check();
      Charge(s);
      switch (result) {
        case z3::sat:
          a.status = SolveStatus::kSat;
          a.witness = s.get_model().eval(x, true).get_string();
          break;
        case z3::unsat:
          a.status = SolveStatus::kUnsat;
          break;
        case z3::unknown:
          a.status = SolveStatus::kUnknown;
          a.detail = "Z3: " + s.reason_unknown();
          break;
      }
    } catch (const z3::exception& e) {
      a.status = SolveStatus::kUnknown;
      a.detail = std::string("Z3 error: ") + e.msg();
    }
    return a;
  }

  // Tries the readable alphabet, then all of ASCII. `build` makes the language over one.
  template <typename Build, typename Recheck>
  StringAnswer Search(const std::string& pattern, Build build, Recheck recheck,
                      bool printable_only = false, bool one_language = false) {
    StringAnswer last;
    std::vector<CharSet> alphabets = {Nice(), Printable()};
    if (!printable_only) alphabets.push_back(Ascii());
    for (const CharSet& alphabet : alphabets) {
      if (budget != nullptr && budget->Exhausted()) {  // translating costs time too
        last.status = SolveStatus::kUnknown;
        last.detail = budget->Why();
        return last;
      }
      std::string error;
      std::optional<z3::expr> lang = build(alphabet, &error);
      if (!lang) {
        last.status = SolveStatus::kUnknown;
        last.detail = error;
        return last;
      }
      last = Solve(*lang);
      if (last.status == SolveStatus::kSat) {
        if (!recheck(last.witness)) {
          last.status = SolveStatus::kUnknown;
          last.detail = "witness '" + last.witness + "' failed the RE2 re-check";
        }
        return last;
      }
      if (last.status == SolveStatus::kUnknown) return last;
    }
    // Unsat over all of ASCII. A negated class may still match beyond ASCII: say unknown.
    if (!printable_only && MayMatchBeyondAscii(pattern, one_language)) {
      last.status = SolveStatus::kUnknown;
      last.detail = "no ASCII value; values beyond ASCII are not modelled";
    }
    return last;
  }

  z3::context ctx;
  unsigned timeout_ms;
  SolverBudget* budget;
  std::uint64_t rlimit_seen = 0;
};

// Answers already given: real meshes repeat a few path shapes across many matches, so
// most questions are asked more than once.
struct RouteSolver::Cache {
  std::map<std::string, StringAnswer> answers;
};

RouteSolver::RouteSolver(unsigned timeout_ms, SolverBudget* budget)
    : timeout_ms_(timeout_ms), budget_(budget), cache_(std::make_unique<Cache>()) {}

bool RouteSolver::Admits(const std::string& pattern, const std::string& value,
                         RegexAnchoring anchoring) {
  return Re2Admits(pattern, value, anchoring);
}
RouteSolver::~RouteSolver() = default;

RouteSolver::Impl& RouteSolver::impl() {
  if (!impl_) impl_ = std::make_unique<Impl>(timeout_ms_, budget_);
  return *impl_;
}

SolveStatus RouteSolver::Accepts(const std::string& pattern, RegexAnchoring anchoring,
                                 const std::string& value) {
  std::string key =
      "A\x1f" + pattern + "\x1f" + std::to_string(static_cast<int>(anchoring)) + "\x1f" + value;
  auto hit = cache_->answers.find(key);
  if (hit != cache_->answers.end()) return hit->second.status;
  SolveStatus status = AcceptsUncached(pattern, anchoring, value);
  cache_->answers[key].status = status;
  return status;
}

SolveStatus RouteSolver::AcceptsUncached(const std::string& pattern, RegexAnchoring anchoring,
                                         const std::string& value) {
  std::string error;
  auto lang = impl().Language(pattern, anchoring, Ascii(), &error);
  if (!lang) return SolveStatus::kUnknown;
  try {
    z3::solver s(impl().ctx);
    std::string why;
    if (!impl().Limit(&s, &why)) return SolveStatus::kUnknown;
    s.add(
        z3::in_re(impl().ctx.string_val(value.data(), static_cast<unsigned>(value.size())), *lang));
    const z3::check_result result = s.check();
    impl().Charge(s);
    switch (result) {
      case z3::sat:
        return SolveStatus::kSat;
      case z3::unsat:
        return SolveStatus::kUnsat;
      default:
        return SolveStatus::kUnknown;
    }
  } catch (const z3::exception&) {
    return SolveStatus::kUnknown;
  }
}

StringAnswer RouteSolver::ExampleUncached(const std::string& pattern, RegexAnchoring anchoring,
                                          const std::string& prefix) {
  auto admitted = [&](const std::string& w) {
    return w.rfind(prefix, 0) == 0 && Admits(pattern, w, anchoring);
  };
  // Fast path: a member built from the syntax tree (and, for unanchored readings, the
  // prefix put in front), accepted only when RE2 agrees. Z3 decides everything else.
  regex::ParseResult parsed = regex::Parse(pattern);
  if (parsed.root) {
    if (auto w = Construct(*parsed.root)) {
      for (const std::string& candidate : {*w, prefix + *w}) {
        if (admitted(candidate)) return StringAnswer{SolveStatus::kSat, candidate, ""};
      }
    }
  }
  return impl().Search(
      pattern,
      [&](const CharSet& alphabet, std::string* error) -> std::optional<z3::expr> {
        auto lang = impl().Language(pattern, anchoring, alphabet, error);
        if (!lang || prefix.empty()) return lang;
        z3::expr_vector both(impl().ctx);
        both.push_back(*lang);
        both.push_back(z3::concat(
            z3::to_re(impl().ctx.string_val(prefix.data(), static_cast<unsigned>(prefix.size()))),
            z3::star(impl().Set(alphabet))));
        return z3::re_intersect(both);
      },
      admitted, /*printable_only=*/false, /*one_language=*/true);
}

std::string RouteSolver::MandatoryPrefix(const std::string& pattern) {
  regex::ParseResult p = regex::Parse(pattern);
  if (!p.root) return "";
  std::string err;
  auto branches = regex::Branches(*p.root, &err);
  if (!branches) return "";
  std::optional<std::string> common;
  for (const regex::Branch& b : *branches) {
    std::string lit;
    for (const Node& n : b.body.kids) {
      if (n.kind != Kind::kSet || n.set.count() != 1) break;
      for (int c = 0; c < 128; ++c) {
        if (n.set.test(static_cast<std::size_t>(c))) lit += static_cast<char>(c);
      }
    }
    if (b.body.kind == Kind::kSet && b.body.set.count() == 1) lit = *Construct(b.body);
    if (!common) {
      common = lit;
    } else {
      std::size_t k = 0;
      while (k < common->size() && k < lit.size() && (*common)[k] == lit[k]) ++k;
      common->resize(k);
    }
  }
  return common.value_or("");
}

StringAnswer RouteSolver::UncoveredUncached(const std::string& pattern,
                                            const std::vector<std::string>& others,
                                            RegexAnchoring anchoring, const std::string& prefix) {
  // Cheap and sound first: a member of `pattern` that none of the others admits.
  regex::ParseResult parsed = regex::Parse(pattern);
  if (parsed.root) {
    if (auto w = Construct(*parsed.root)) {
      for (const std::string& candidate : {*w, prefix + *w}) {
        if (candidate.rfind(prefix, 0) != 0) continue;
        bool mine = Admits(pattern, candidate, anchoring);
        bool theirs = false;
        for (const std::string& o : others) theirs = theirs || Admits(o, candidate, anchoring);
        if (mine && !theirs) return StringAnswer{SolveStatus::kSat, candidate, ""};
      }
    }
  }
  // Only start-anchored readings: others whose mandatory literal prefix is incompatible
  // with this one's are disjoint from it and cannot help cover it.
  std::vector<std::string> relevant = others;
  if (anchoring != RegexAnchoring::kSearch) {
    const std::string mp = MandatoryPrefix(pattern);
    relevant.clear();
    for (const std::string& o : others) {
      const std::string op = MandatoryPrefix(o);
      const std::size_t k = std::min(mp.size(), op.size());
      if (mp.compare(0, k, op, 0, k) == 0) relevant.push_back(o);
    }
  }
  const std::vector<std::string>& others_ = relevant;
  return impl().Search(
      pattern,
      [&](const CharSet& alphabet, std::string* error) -> std::optional<z3::expr> {
        auto mine = impl().Language(pattern, anchoring, alphabet, error);
        if (!mine) return std::nullopt;
        std::optional<z3::expr> cover;
        for (const std::string& o : others_) {
          auto l = impl().Language(o, anchoring, alphabet, error);
          if (!l) return std::nullopt;
          cover = cover ? impl().Union(*cover, *l) : *l;
        }
        z3::expr_vector both(impl().ctx);
        both.push_back(*mine);
        if (cover) both.push_back(z3::re_complement(*cover));
        if (!prefix.empty()) {
          both.push_back(z3::concat(
              z3::to_re(impl().ctx.string_val(prefix.data(), static_cast<unsigned>(prefix.size()))),
              z3::star(impl().Set(alphabet))));
        }
        if (both.size() == 1) return mine;
        return z3::re_intersect(both);  // one membership: mine, none of the others, the domain
      },
      [&](const std::string& w) {
        if (w.rfind(prefix, 0) != 0 || !Admits(pattern, w, anchoring)) return false;
        for (const std::string& o : others) {
          if (Admits(o, w, anchoring)) return false;
        }
        return true;
      },
      /*printable_only=*/true);
}

StringAnswer RouteSolver::RejectedUncached(const std::string& pattern, RegexAnchoring anchoring) {
  return impl().Search(
      pattern,
      [&](const CharSet& alphabet, std::string* error) -> std::optional<z3::expr> {
        auto l = impl().Language(pattern, anchoring, alphabet, error);
        if (!l) return std::nullopt;
        z3::expr_vector both(impl().ctx);
        both.push_back(z3::star(impl().Set(alphabet)));
        both.push_back(z3::re_complement(*l));
        return z3::re_intersect(both);
      },
      [&](const std::string& w) { return !Admits(pattern, w, anchoring); },
      /*printable_only=*/true);
}

// True when the prefix and the full-match readings of `pattern` agree on printable values:
// every top-level branch ends in `$`, or in a star over a set holding every printable
// character (X·S* admits the same printable values as X·S*·Σ*).
bool PrefixEqualsFull(const std::string& pattern) {
  regex::ParseResult p = regex::Parse(pattern);
  if (!p.root) return false;
  std::string err;
  auto branches = regex::Branches(*p.root, &err);
  if (!branches) return false;
  const CharSet printable = Printable() | CharSet().set(' ');
  for (const regex::Branch& b : *branches) {
    if (b.eol) continue;
    const Node* last =
        b.body.kind == Kind::kConcat && !b.body.kids.empty() ? &b.body.kids.back() : &b.body;
    if (last->kind != Kind::kRepeat || last->min != 0 || last->max != -1) return false;
    const Node& inner = last->kids[0];
    if (inner.kind != Kind::kSet || (inner.set & printable) != printable) return false;
  }
  return true;
}

StringAnswer RouteSolver::DifferenceUncached(const std::string& pattern, RegexAnchoring accepting,
                                             RegexAnchoring rejecting, const std::string& prefix) {
  if (accepting == RegexAnchoring::kPrefix && rejecting == RegexAnchoring::kFull &&
      PrefixEqualsFull(pattern)) {
    return StringAnswer{SolveStatus::kUnsat, "", ""};
  }
  auto differs = [&](const std::string& w) {
    return w.rfind(prefix, 0) == 0 && Admits(pattern, w, accepting) &&
           !Admits(pattern, w, rejecting);
  };
  // The witness a person would write first: a value both readings admit, extended. Only
  // used when RE2 confirms it; otherwise Z3 searches.
  if (accepting == RegexAnchoring::kPrefix && rejecting == RegexAnchoring::kFull) {
    StringAnswer base = Example(pattern, RegexAnchoring::kFull, prefix);
    if (base.status == SolveStatus::kSat) {
      for (const char* tail : {"/x", "x", "/"}) {
        if (differs(base.witness + tail))
          return StringAnswer{SolveStatus::kSat, base.witness + tail, ""};
      }
    }
  }
  return impl().Search(
      pattern,
      [&](const CharSet& alphabet, std::string* error) -> std::optional<z3::expr> {
        auto a = impl().Language(pattern, accepting, alphabet, error);
        if (!a) return std::nullopt;
        auto b = impl().Language(pattern, rejecting, alphabet, error);
        if (!b) return std::nullopt;
        z3::expr_vector both(impl().ctx);
        both.push_back(*a);
        both.push_back(z3::re_complement(*b));
        if (!prefix.empty()) {
          both.push_back(z3::concat(
              z3::to_re(impl().ctx.string_val(prefix.data(), static_cast<unsigned>(prefix.size()))),
              z3::star(impl().Set(alphabet))));
        }
        return z3::re_intersect(both);  // one membership: a, not b, the value domain
      },
      differs, /*printable_only=*/true);
}

}  // namespace meshproof

namespace meshproof {

namespace {
std::string Key(std::initializer_list<std::string> parts) {
  std::string k;
  for (const auto& p : parts) {
    k += p;
    k += '\x1f';
  }
  return k;
}
std::string A(RegexAnchoring a) { return std::to_string(static_cast<int>(a)); }
}  // namespace

StringAnswer RouteSolver::Example(const std::string& pattern, RegexAnchoring anchoring,
                                  const std::string& prefix) {
  std::string k = Key({"E", pattern, A(anchoring), prefix});
  auto it = cache_->answers.find(k);
  if (it != cache_->answers.end()) return it->second;
  return cache_->answers[k] = ExampleUncached(pattern, anchoring, prefix);
}

StringAnswer RouteSolver::Uncovered(const std::string& pattern,
                                    const std::vector<std::string>& others,
                                    RegexAnchoring anchoring, const std::string& prefix) {
  std::vector<std::string> sorted = others;
  std::sort(sorted.begin(), sorted.end());
  std::string k = Key({"U", pattern, A(anchoring), prefix});
  for (const auto& o : sorted) k += o + '\x1e';
  auto it = cache_->answers.find(k);
  if (it != cache_->answers.end()) return it->second;
  return cache_->answers[k] = UncoveredUncached(pattern, others, anchoring, prefix);
}

StringAnswer RouteSolver::Rejected(const std::string& pattern, RegexAnchoring anchoring) {
  std::string k = Key({"R", pattern, A(anchoring)});
  auto it = cache_->answers.find(k);
  if (it != cache_->answers.end()) return it->second;
  return cache_->answers[k] = RejectedUncached(pattern, anchoring);
}

StringAnswer RouteSolver::Difference(const std::string& pattern, RegexAnchoring accepting,
                                     RegexAnchoring rejecting, const std::string& prefix) {
  std::string k = Key({"D", pattern, A(accepting), A(rejecting), prefix});
  auto it = cache_->answers.find(k);
  if (it != cache_->answers.end()) return it->second;
  return cache_->answers[k] = DifferenceUncached(pattern, accepting, rejecting, prefix);
}

}  // namespace meshproof
