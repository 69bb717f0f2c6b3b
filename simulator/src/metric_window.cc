// histogram_quantile over Prometheus-style buckets, as Flagger's latency queries compute it.
#include <cmath>
#include <cstdint>
#include <vector>

#include "meshproof/simulator/canary.h"

namespace meshproof::sim {

double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<std::uint64_t>& counts) {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0) return std::nan("");
  const double rank = q * static_cast<double>(total);
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::uint64_t before = cum;
    cum += counts[i];
    if (static_cast<double>(cum) >= rank) {
      if (i == bounds.size()) return bounds.empty() ? std::nan("") : bounds.back();
      const double lo = i == 0 ? 0.0 : bounds[i - 1];
      const double hi = bounds[i];
      if (counts[i] == 0) return hi;
      return lo + (hi - lo) * (rank - static_cast<double>(before)) / static_cast<double>(counts[i]);
    }
  }
  return bounds.back();
}

}  // namespace meshproof::sim
