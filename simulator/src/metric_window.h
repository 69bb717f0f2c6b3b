// metric_window.h (private to simulator/): the canary's inbound responses per second, kept
// for the trailing windows Flagger's metric queries read (Prometheus range vectors).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "meshproof/engine/numeric.h"

namespace meshproof::sim {

// The canary's inbound responses, per second, for trailing-window queries.
class Window {
 public:
  Window(double longest, const std::vector<double>& buckets_ms)
      : slots_(static_cast<std::size_t>(std::ceil(longest)) + 2),
        bounds_(buckets_ms),
        width_(bounds_.size() + 3) {
    data_.assign(slots_ * width_, 0);
    stamp_.assign(slots_, -1);
  }
  void Add(double time, double latency, bool failed) {
    const auto second = static_cast<long long>(std::floor(time));
    const std::size_t slot = static_cast<std::size_t>(second) % slots_;
    std::uint64_t* row = &data_[slot * width_];
    if (stamp_[slot] != second) {
      std::fill(row, row + width_, 0);
      stamp_[slot] = second;
    }
    ++row[0];
    if (failed) ++row[1];
    const double ms = latency * 1000;
    const std::size_t b = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), ms) - bounds_.begin());
    ++row[2 + b];  // b == bounds_.size(): the +Inf bucket
  }
  // Sums over seconds [now - interval, now).
  void Sum(double now, double interval, std::uint64_t* total, std::uint64_t* failed,
           std::vector<std::uint64_t>* buckets) const {
    *total = *failed = 0;
    buckets->assign(bounds_.size() + 1, 0);
    const auto last = static_cast<long long>(std::floor(now)) - 1;
    const auto first = static_cast<long long>(std::floor(now - interval + kTimeTolerance));
    for (long long s = std::max(first, last - static_cast<long long>(slots_) + 1); s <= last; ++s) {
      if (s < 0) continue;
      const std::size_t slot = static_cast<std::size_t>(s) % slots_;
      if (stamp_[slot] != s) continue;
      const std::uint64_t* row = &data_[slot * width_];
      *total += row[0];
      *failed += row[1];
      for (std::size_t b = 0; b <= bounds_.size(); ++b) (*buckets)[b] += row[2 + b];
    }
  }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::size_t slots_;
  std::vector<double> bounds_;
  std::size_t width_;
  std::vector<std::uint64_t> data_;
  std::vector<long long> stamp_;
};

}  // namespace meshproof::sim
