// route_solver.h: exact reasoning over path and header regexes with Z3.
//
// Regexes are read in RE2 syntax (what Envoy evaluates) by meshproof's own parser, then
// translated into Z3 regular expressions. Every Boolean combination is built inside the
// regex algebra so that each string gets one membership constraint: Z3 4.8.12 falls off a
// performance cliff with several memberships on one string
// (docs/reference/verification-notes.md 4.2).
//
// Alphabet: witnesses are searched first over printable ASCII without space ('!'..'~'),
// then over all of ASCII; a regex that could only match beyond ASCII (a negated class) is
// answered `unknown`, never `empty`. Every witness is re-checked with RE2 under the same
// anchoring before it is returned; a witness that fails the re-check turns the answer
// into `unknown`.
//
// Thread-safety: a RouteSolver owns its Z3 context; use one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "meshproof/engine/profile.h"
#include "meshproof/solver/solver_budget.h"

namespace meshproof {

enum class SolveStatus : std::uint8_t { kSat, kUnsat, kUnknown };

struct StringAnswer {
  SolveStatus status = SolveStatus::kUnknown;
  std::string witness;  // when kSat: a concrete value, re-checked with RE2
  std::string detail;   // why, when kUnknown (timeout, unsupported, failed re-check)
};

/// Whether a pattern is usable: valid RE2 and within the translated subset. On failure,
/// `error` names the problem (RE2's message, or "unsupported construct: lookahead ...").
struct RegexCheck {
  bool ok = true;
  std::string error;
};
RegexCheck CheckRegex(const std::string& pattern);

/// True when RE2 admits `value` for `pattern` under `anchoring`. Compiled patterns are
/// cached per thread.
bool Re2Admits(const std::string& pattern, const std::string& value, RegexAnchoring anchoring);

class RouteSolver {
 public:
  /// `timeout_ms` bounds each Z3 call; a timeout is an `unknown` answer. `budget` (may be
  /// null; must outlive the solver) bounds the calls' sum: once spent, every answer is
  /// `unknown` at once (solver_budget.h).
  explicit RouteSolver(unsigned timeout_ms = 5000, SolverBudget* budget = nullptr);
  ~RouteSolver();
  RouteSolver(const RouteSolver&) = delete;
  RouteSolver& operator=(const RouteSolver&) = delete;

  /// Whether the translated language of `pattern` under `anchoring` contains `value`
  /// (kSat) or not (kUnsat): the translator's answer, for differential tests against RE2.
  SolveStatus Accepts(const std::string& pattern, RegexAnchoring anchoring,
                      const std::string& value);

  /// Some value `pattern` admits under `anchoring`, beginning with `prefix`; kUnsat when it
  /// admits none. Paths pass "/": a request path always starts with one.
  StringAnswer Example(const std::string& pattern, RegexAnchoring anchoring,
                       const std::string& prefix = "");

  /// Some value `pattern` admits that none of `others` admits, all under `anchoring`
  /// (printable values); kUnsat when `others` cover `pattern` (MP2003).
  StringAnswer Uncovered(const std::string& pattern, const std::vector<std::string>& others,
                         RegexAnchoring anchoring, const std::string& prefix = "");

  /// The literal text every value `pattern` admits must start with under a start-anchored
  /// reading ("/api/v" for "^/api/v[0-9]+"); "" when none is known.
  static std::string MandatoryPrefix(const std::string& pattern);

  /// Some printable value `pattern` rejects under `anchoring`; kUnsat when it admits every
  /// value (MP1008: "any path").
  StringAnswer Rejected(const std::string& pattern, RegexAnchoring anchoring);

  /// Some value admitted under `accepting` and rejected under `rejecting` (MP2004: the
  /// spec's prefix reading against Envoy's full match). Values are printable ASCII only:
  /// paths and header values carry no control characters, so a difference that needs one
  /// (`.` does not match "\n") is no difference a request can show (kUnsat).
  StringAnswer Difference(const std::string& pattern, RegexAnchoring accepting,
                          RegexAnchoring rejecting, const std::string& prefix = "");

 private:
  SolveStatus AcceptsUncached(const std::string& pattern, RegexAnchoring anchoring,
                              const std::string& value);
  StringAnswer ExampleUncached(const std::string& pattern, RegexAnchoring anchoring,
                               const std::string& prefix);
  StringAnswer UncoveredUncached(const std::string& pattern, const std::vector<std::string>& others,
                                 RegexAnchoring anchoring, const std::string& prefix);
  StringAnswer RejectedUncached(const std::string& pattern, RegexAnchoring anchoring);
  StringAnswer DifferenceUncached(const std::string& pattern, RegexAnchoring accepting,
                                  RegexAnchoring rejecting, const std::string& prefix);

  /// Re2Admits (compiled patterns are cached per thread).
  bool Admits(const std::string& pattern, const std::string& value, RegexAnchoring anchoring);

  struct Impl;
  Impl& impl();  // the Z3 context, created on first use (most examples need none)
  unsigned timeout_ms_;
  SolverBudget* budget_;
  std::unique_ptr<Impl> impl_;
  struct Cache;
  std::unique_ptr<Cache> cache_;  // memoized answers
};

}  // namespace meshproof
