// replication_pool.h (private to simulator/): the one thread pool simulate and canary run
// their replications on.
#pragma once

#include <functional>

namespace meshproof::sim {

/// Runs run(r) for every replication r in [0, count) on min(jobs, count) threads (jobs 0:
/// all cores). Each r runs exactly once, whatever the thread count, so results stored by r
/// do not depend on `jobs`. While they run, progress (when set) is called about every
/// 100 ms with the fraction done: `partial()` when given (finer-grained, e.g. simulated
/// time), else replications finished / count; the last call reports 1.
void RunReplications(int count, int jobs, const std::function<void(int)>& run,
                     const std::function<void(double)>& progress,
                     const std::function<double()>& partial = nullptr);

}  // namespace meshproof::sim
