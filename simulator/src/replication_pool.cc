#include "replication_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace meshproof::sim {

void RunReplications(int count, int jobs, const std::function<void(int)>& run,
                     const std::function<void(double)>& progress,
                     const std::function<double()>& partial) {
  if (count <= 0) return;
  if (jobs <= 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  jobs = std::min(jobs, count);
  std::atomic<int> next{0}, done{0};
  auto worker = [&] {
    for (;;) {
      const int r = next.fetch_add(1);
      if (r >= count) return;
      run(r);
      done.fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(jobs));
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  if (progress) {
    for (;;) {
      const bool finished = done.load() >= count;
      const double f = finished  ? 1.0
                       : partial ? std::min(partial(), 0.999)
                                 : static_cast<double>(done.load()) / count;
      progress(f);
      if (finished) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  for (auto& t : threads) t.join();
}

}  // namespace meshproof::sim
