// solver_budget.h: how much solver work one command may do.
//
// Each Z3 call is bounded by a timeout, but a hostile mesh can ask for millions of calls.
// A SolverBudget bounds their sum: Z3 resource units (rlimit: deterministic, unlike
// wall-clock time, so the same input stops at the same check on any machine) plus a
// wall-clock safety net for work Z3 does not count. Once spent, every further question
// is answered `unknown` at once, which the checks report as MP9001 (inconclusive, never a
// pass), so no input makes a command run unbounded.
//
// Thread-safe: one budget may be shared by the RouteSolvers of several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace meshproof {

/// Resource units a command may spend by default: far above what real meshes need (the
/// generated 10,000-service mesh spends under a tenth of it) and below an hour of work.
inline constexpr std::uint64_t kDefaultSolverResourceUnits = 2'000'000'000;
/// Wall-clock safety net of a command's solver work by default, in seconds.
inline constexpr double kDefaultSolverWallSeconds = 600;

class SolverBudget {
 public:
  explicit SolverBudget(std::uint64_t resource_units = kDefaultSolverResourceUnits,
                        double wall_seconds = kDefaultSolverWallSeconds);

  /// True once either limit is reached.
  bool Exhausted() const;
  /// Units left (0 when exhausted).
  std::uint64_t Remaining() const;
  /// Records units a solver call used.
  void Charge(std::uint64_t units);
  std::uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  /// Why further questions go unanswered, for MP9001 messages.
  std::string Why() const;

 private:
  const std::uint64_t total_;
  const double wall_seconds_;
  const std::chrono::steady_clock::time_point deadline_;
  std::atomic<std::uint64_t> used_{0};
};

}  // namespace meshproof
