#include "meshproof/solver/solver_budget.h"

namespace meshproof {

SolverBudget::SolverBudget(std::uint64_t resource_units, double wall_seconds)
    : total_(resource_units),
      wall_seconds_(wall_seconds),
      deadline_(std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(wall_seconds))) {}

bool SolverBudget::Exhausted() const {
  return used() >= total_ || std::chrono::steady_clock::now() >= deadline_;
}

std::uint64_t SolverBudget::Remaining() const {
  const std::uint64_t u = used();
  return Exhausted() || u >= total_ ? 0 : total_ - u;
}

void SolverBudget::Charge(std::uint64_t units) {
  used_.fetch_add(units, std::memory_order_relaxed);
}

std::string SolverBudget::Why() const {
  if (used() >= total_)
    return "the command's solver budget (" + std::to_string(total_) +
           " Z3 resource units) is spent";
  return "the command's solver time limit (" + std::to_string(static_cast<long>(wall_seconds_)) +
         " s) is reached";
}

}  // namespace meshproof
