// The RE2 -> Z3 translator, construct by construct, against RE2 itself; witnesses and
// their re-check; a randomized differential test.
#include "meshproof/solver/route_solver.h"

#include <random>

#include <gtest/gtest.h>

namespace meshproof {
namespace {

struct Construct {
  const char* name;
  const char* pattern;
  const char* matches;
  const char* rejects;
};

class TranslatorTest : public ::testing::TestWithParam<Construct> {};

TEST_P(TranslatorTest, AgreesWithRe2) {
  const Construct& c = GetParam();
  RouteSolver solver;
  ASSERT_TRUE(CheckRegex(c.pattern).ok) << CheckRegex(c.pattern).error;
  // The fixture itself is checked against RE2, so the test cannot pass on a wrong premise.
  ASSERT_TRUE(Re2Admits(c.pattern, c.matches, RegexAnchoring::kFull))
      << c.pattern << " ~ " << c.matches;
  ASSERT_FALSE(Re2Admits(c.pattern, c.rejects, RegexAnchoring::kFull))
      << c.pattern << " !~ " << c.rejects;
  EXPECT_EQ(solver.Accepts(c.pattern, RegexAnchoring::kFull, c.matches), SolveStatus::kSat)
      << c.pattern;
  EXPECT_EQ(solver.Accepts(c.pattern, RegexAnchoring::kFull, c.rejects), SolveStatus::kUnsat)
      << c.pattern;
  StringAnswer ex = solver.Example(c.pattern, RegexAnchoring::kFull);
  ASSERT_EQ(ex.status, SolveStatus::kSat) << ex.detail;
  EXPECT_TRUE(Re2Admits(c.pattern, ex.witness, RegexAnchoring::kFull)) << ex.witness;
}

INSTANTIATE_TEST_SUITE_P(
    Re2Subset, TranslatorTest,
    ::testing::Values(
        Construct{"literal", "/books", "/books", "/book"},
        Construct{"escaped_dot", "/a\\.b", "/a.b", "/axb"},
        Construct{"escaped_slash_and_dash", "\\/a\\-b", "/a-b", "/a_b"},
        Construct{"hex_escape", "\\x41\\x{42}", "AB", "ab"},
        Construct{"dot", "/a.c", "/abc", "/ac"}, Construct{"class", "/v[0-9]", "/v7", "/vx"},
        Construct{"class_multi_range", "[a-cx-z]+", "abzx", "abd"},
        Construct{"negated_class", "/[^/]+", "/abc", "/a/b"},
        Construct{"class_with_escape", "[\\d.]+", "1.2.3", "1-2"},
        Construct{"posix_class", "[[:alpha:]]+", "abcXYZ", "abc1"},
        Construct{"digit", "\\d+", "0123", "12a"}, Construct{"not_digit", "\\D+", "abc", "ab1"},
        Construct{"word", "\\w+", "a_1Z", "a-1"}, Construct{"not_word", "\\W", "-", "a"},
        Construct{"space", "a\\sb", "a b", "ab"}, Construct{"not_space", "\\S+", "abc", "a c"},
        Construct{"star", "/ab*", "/abbb", "/abc"}, Construct{"plus", "/ab+", "/abb", "/a"},
        Construct{"optional", "/colou?r", "/color", "/colouur"},
        Construct{"exact_count", "[0-9]{3}", "123", "1234"},
        Construct{"at_least", "x{2,}", "xxxx", "x"},
        Construct{"range_count", "x{2,3}", "xxx", "xxxx"},
        Construct{"lazy_forms", "a*?b+?c??d{1,2}?", "aabbd", "aabbccd"},
        Construct{"group", "(ab)+", "abab", "aba"},
        Construct{"non_capturing_group", "(?:ab|cd)+", "abcd", "abc"},
        Construct{"named_group", "(?P<id>[0-9]+)", "42", "x"},
        Construct{"alternation", "/api/(orders|carts)/[0-9]+", "/api/carts/7", "/api/users/7"},
        Construct{"anchors", "^/admin(/.*)?$", "/admin/x", "/administrator"},
        Construct{"anchored_alternation", "^/a$|^/b", "/b", "/c"},
        Construct{"case_insensitive", "(?i)/Books", "/bOOks", "/bo0ks"},
        Construct{"case_insensitive_group", "/(?i:abc)d", "/ABCd", "/ABCD"},
        Construct{"empty_alternative", "/a(|b)", "/ab", "/abb"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(TranslatorTest, AnchoringReadings) {
  RouteSolver s;
  // "/books" under the spec's prefix reading admits "/books/42"; Envoy's full match does not.
  EXPECT_EQ(s.Accepts("/books", RegexAnchoring::kPrefix, "/books/42"), SolveStatus::kSat);
  EXPECT_EQ(s.Accepts("/books", RegexAnchoring::kFull, "/books/42"), SolveStatus::kUnsat);
  EXPECT_EQ(s.Accepts("Android", RegexAnchoring::kSearch, "Mozilla Android 14"), SolveStatus::kSat);
  EXPECT_EQ(s.Accepts("^Android", RegexAnchoring::kSearch, "Mozilla Android"), SolveStatus::kUnsat);
  EXPECT_EQ(s.Accepts("/books$", RegexAnchoring::kPrefix, "/books/42"), SolveStatus::kUnsat);
}

TEST(TranslatorTest, RefusesWhatItCannotTranslate) {
  for (const char* bad :
       {"(a)\\1", "/a(?=b)", "/a(?!b)", "(?<=a)b", "\\bword", "\\p{Greek}", "a^b"}) {
    RegexCheck c = CheckRegex(bad);
    EXPECT_FALSE(c.ok) << bad;
    EXPECT_FALSE(c.error.empty()) << bad;
  }
  EXPECT_NE(CheckRegex("(a)\\1").error.find("backreference"), std::string::npos);
  EXPECT_NE(CheckRegex("/a(?=b)").error.find("lookahead"), std::string::npos)
      << CheckRegex("/a(?=b)").error;
  EXPECT_FALSE(CheckRegex("/api/[").ok);  // invalid RE2: RE2's own message
  EXPECT_FALSE(CheckRegex("a**").ok || CheckRegex("*a").ok);
}

// Hostile patterns are refused by the parser's limits before anything walks them
// (regex_ast.h): 20,000 nested groups once overflowed the stack of verify, reach and diff.
TEST(TranslatorTest, RefusesPatternsPastTheLimits) {
  const std::string deep_open(20000, '(');
  const std::string deep = std::string(1001, '(') + "a" + std::string(1001, ')');
  const std::string ok_depth = std::string(1000, '(') + "a" + std::string(1000, ')');
  struct Case {
    std::string pattern;
    std::string says;
  };
  for (const Case& c :
       {Case{deep_open, "nested deeper than 1000"}, Case{deep, "nested deeper than 1000"},
        Case{"(a{100}){11}", "multiply to more than 1000"},
        Case{"((a{10}){10}){11}", "multiply to more than 1000"}, Case{"a{1001}", "{1001}"},
        Case{std::string(70000, 'a'), "longer than 65536 bytes"},
        Case{"a" + std::string(50000, '*'), "bad repetition operator: **"},
        Case{"a{2}{3}", "bad repetition operator: {2}{3}"}}) {
    RegexCheck r = CheckRegex(c.pattern);
    EXPECT_FALSE(r.ok) << c.says;
    EXPECT_NE(r.error.find(c.says), std::string::npos) << r.error;
  }
  // At the limits, still accepted (RE2 accepts them too).
  EXPECT_TRUE(CheckRegex(ok_depth).ok) << CheckRegex(ok_depth).error;
  EXPECT_TRUE(CheckRegex("((a{10}){10}){10}").ok);
  EXPECT_TRUE(CheckRegex("a*?b+?c??").ok);
  RouteSolver s;
  EXPECT_EQ(s.Accepts(ok_depth, RegexAnchoring::kFull, "a"), SolveStatus::kSat);
}

// Found by the regex fuzzer: RE2 reads a count with a leading zero as literal text.
TEST(TranslatorTest, LeadingZeroCountsAreLiteralBracesAsInRe2) {
  RouteSolver s;
  for (const char* p : {"(a){00}", "a{01,2}", "x{1,02}"}) {
    for (const char* v : {"", "a", "a{00}", "a{01,2}", "x{1,02}", "x"}) {
      EXPECT_EQ(s.Accepts(p, RegexAnchoring::kSearch, v) == SolveStatus::kSat,
                Re2Admits(p, v, RegexAnchoring::kSearch))
          << p << " on '" << v << "'";
    }
  }
}

// A command's solver work is bounded in total: once the budget is spent, answers are
// unknown at once (MP9001), and patterns too large to reason about are unknown up front.
TEST(SolverBudgetTest, SpentBudgetAnswersUnknownAtOnce) {
  SolverBudget budget(1, 600);  // one resource unit: spent by the first Z3 call
  RouteSolver s(2000, &budget);
  StringAnswer first = s.Rejected("/a(b|c)*d", RegexAnchoring::kFull);
  EXPECT_EQ(first.status, SolveStatus::kUnknown);  // Z3 stopped at the limit
  EXPECT_GT(budget.used(), 0u);
  EXPECT_TRUE(budget.Exhausted());
  StringAnswer second = s.Rejected("/x[a-z]+", RegexAnchoring::kFull);
  EXPECT_EQ(second.status, SolveStatus::kUnknown);
  EXPECT_NE(second.detail.find("solver budget"), std::string::npos) << second.detail;
  SolverBudget timed(kDefaultSolverResourceUnits, 0);  // wall-clock net already reached
  EXPECT_TRUE(timed.Exhausted());
  EXPECT_NE(timed.Why().find("time limit"), std::string::npos);
}

TEST(SolverBudgetTest, HugeAlternationsAreUnknownNotMinutesOfZ3) {
  std::string alt;
  for (int i = 0; i < 6000; ++i) alt += (i ? "|/p" : "/p") + std::to_string(i);
  RouteSolver s;
  StringAnswer r = s.Rejected(alt, RegexAnchoring::kFull);
  EXPECT_EQ(r.status, SolveStatus::kUnknown);
  EXPECT_NE(r.detail.find("too large to reason about symbolically"), std::string::npos) << r.detail;
}

TEST(TranslatorTest, AnchoringWitness) {
  RouteSolver s;
  StringAnswer d = s.Difference("/books-bought", RegexAnchoring::kPrefix, RegexAnchoring::kFull);
  ASSERT_EQ(d.status, SolveStatus::kSat) << d.detail;
  EXPECT_TRUE(Re2Admits("/books-bought", d.witness, RegexAnchoring::kPrefix));
  EXPECT_FALSE(Re2Admits("/books-bought", d.witness, RegexAnchoring::kFull));
  EXPECT_EQ(s.Difference("/api/.*", RegexAnchoring::kPrefix, RegexAnchoring::kFull).status,
            SolveStatus::kUnsat);
  EXPECT_EQ(s.Difference("/books$", RegexAnchoring::kPrefix, RegexAnchoring::kFull).status,
            SolveStatus::kUnsat);
  // The syntactic shortcut and Z3 must agree: these end in a full star or `$` per branch...
  for (const char* same : {"/a/.*|/b$", "(?:/x|/y)[\\x20-\\x7e]*", "/api/(orders|carts)/.*"}) {
    EXPECT_EQ(s.Difference(same, RegexAnchoring::kPrefix, RegexAnchoring::kFull).status,
              SolveStatus::kUnsat)
        << same;
  }
  // ... and these do not (a star over a narrower set, a branch without either).
  for (const char* differs : {"/a/[a-z]*", "/a/.*|/b", "/a(/.*)?"}) {
    StringAnswer a = s.Difference(differs, RegexAnchoring::kPrefix, RegexAnchoring::kFull);
    EXPECT_EQ(a.status, SolveStatus::kSat) << differs;
  }
}

TEST(TranslatorTest, EmptyLanguage) {
  RouteSolver s;
  EXPECT_EQ(s.Example("[a-c]&&[x-z]{0}z{2,1}", RegexAnchoring::kFull).status,
            SolveStatus::kUnknown);  // invalid
  EXPECT_EQ(s.Example("/a[^\\x00-\\x7f]", RegexAnchoring::kFull).status,
            SolveStatus::kUnknown);  // beyond ASCII
  StringAnswer tab =
      s.Example("\\t", RegexAnchoring::kFull);  // outside the readable alphabet: falls back
  ASSERT_EQ(tab.status, SolveStatus::kSat);
  EXPECT_EQ(tab.witness, "\t");
}

// Random regexes over a small grammar; random strings over a small alphabet. The Z3
// translation must agree with RE2 on every membership, and every witness must re-check.
std::string RandomRegex(std::mt19937_64& rng, int depth) {
  static const char* atoms[] = {"a", "b", "/", ".", "[ab]", "[^a]", "\\d", "[0-9]", "x", "(?:a|b)"};
  std::string out;
  int n = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n; ++i) {
    std::string part =
        depth > 0 && rng() % 4 == 0 ? "(" + RandomRegex(rng, depth - 1) + ")" : atoms[rng() % 10];
    switch (rng() % 7) {
      case 0:
        part += "*";
        break;
      case 1:
        part += "+";
        break;
      case 2:
        part += "?";
        break;
      case 3:
        part += "{1,2}";
        break;
      default:
        break;
    }
    out += part;
  }
  if (depth > 0 && rng() % 5 == 0) out += "|" + RandomRegex(rng, depth - 1);
  return out;
}

TEST(DifferentialTest, TranslatorAgreesWithRe2OnRandomInputs) {
  std::mt19937_64 rng(2024);
  RouteSolver s(10000);
  const std::string alphabet = "ab/x1";
  int checked = 0;
  for (int i = 0; i < 400; ++i) {
    std::string pattern = RandomRegex(rng, 2);
    ASSERT_TRUE(CheckRegex(pattern).ok) << pattern << ": " << CheckRegex(pattern).error;
    RegexAnchoring anchoring = static_cast<RegexAnchoring>(rng() % 3);
    for (int k = 0; k < 5; ++k) {
      std::string value;
      for (std::size_t len = rng() % 6; len > 0; --len) value += alphabet[rng() % alphabet.size()];
      SolveStatus z3 = s.Accepts(pattern, anchoring, value);
      ASSERT_NE(z3, SolveStatus::kUnknown) << pattern;
      EXPECT_EQ(z3 == SolveStatus::kSat, Re2Admits(pattern, value, anchoring))
          << "pattern " << pattern << " value '" << value << "' anchoring "
          << static_cast<int>(anchoring);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2000);
}

// Classes built from negations and unions of escapes: decided exactly, over every
// character. A class that is empty everywhere (such as [^\s\S]) is kUnsat (MP2002), never
// unknown (MP9001); one that matches only beyond ASCII stays unknown; the ASCII members
// agree with RE2 one by one.
TEST(DifferentialTest, ClassesFromNegationsAndUnionsOfEscapes) {
  static const char* items[] = {"\\s", "\\S", "\\d",       "\\D",       "\\w",         "\\W",
                                "a",   "/",   "[:alpha:]", "[:punct:]", "\\x00-\\x7f", "0-9"};
  std::mt19937_64 rng(14);
  RouteSolver s(10000);
  const std::vector<std::string> beyond = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  int decided_empty = 0;
  // Z3 is asked about the characters where the escapes differ; RE2 about all of ASCII.
  const std::string probes = std::string("\t\n\v\f\r !/09AZ_az~") + '\0' + '\x7f';
  for (int i = 0; i < 50; ++i) {
    std::string cls = rng() % 2 ? "[^" : "[";
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) cls += items[rng() % 12];
    cls += "]";
    const std::string pattern = "/" + cls;
    ASSERT_TRUE(CheckRegex(pattern).ok) << pattern;
    bool ascii_member = false, beyond_member = false;
    for (int c = 0; c < 128; ++c) {
      const std::string value = "/" + std::string(1, static_cast<char>(c));
      const bool re2 = Re2Admits(pattern, value, RegexAnchoring::kFull);
      ascii_member = ascii_member || re2;
      if (probes.find(static_cast<char>(c)) == std::string::npos) continue;
      EXPECT_EQ(s.Accepts(pattern, RegexAnchoring::kFull, value) == SolveStatus::kSat, re2)
          << pattern << " on character " << c;
    }
    for (const std::string& b : beyond)
      beyond_member = beyond_member || Re2Admits(pattern, "/" + b, RegexAnchoring::kFull);
    const StringAnswer e = s.Example(pattern, RegexAnchoring::kFull);
    if (ascii_member) {
      ASSERT_EQ(e.status, SolveStatus::kSat) << pattern;
      EXPECT_TRUE(Re2Admits(pattern, e.witness, RegexAnchoring::kFull)) << pattern;
    } else if (beyond_member) {
      EXPECT_EQ(e.status, SolveStatus::kUnknown) << pattern;  // only beyond ASCII: not modelled
    } else {
      EXPECT_EQ(e.status, SolveStatus::kUnsat) << pattern << ": " << e.detail;
      ++decided_empty;
    }
  }
  EXPECT_GT(decided_empty, 2);  // the generator does produce classes empty everywhere
  EXPECT_EQ(s.Example("/a[^\\s\\S]", RegexAnchoring::kPrefix).status, SolveStatus::kUnsat);
  EXPECT_EQ(s.Example("[^\\d\\D]", RegexAnchoring::kSearch).status, SolveStatus::kUnsat);
}

TEST(DifferentialTest, EveryWitnessRechecks) {
  std::mt19937_64 rng(99);
  RouteSolver s(10000);
  int witnesses = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string pattern = RandomRegex(rng, 2);
    RegexAnchoring anchoring = static_cast<RegexAnchoring>(rng() % 3);
    StringAnswer a = s.Example(pattern, anchoring);
    ASSERT_NE(a.status, SolveStatus::kUnknown) << pattern << ": " << a.detail;
    if (a.status == SolveStatus::kSat) {
      ASSERT_TRUE(Re2Admits(pattern, a.witness, anchoring)) << pattern << " -> " << a.witness;
      ++witnesses;
    }
  }
  EXPECT_GE(witnesses, 1900);
}

}  // namespace
}  // namespace meshproof
