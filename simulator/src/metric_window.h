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
        width_(kBuckets + 2 * (bounds_.size() + 1)) {
    data_.assign(slots_ * width_, 0);
    stamp_.assign(slots_, -1);
  }
  // One response at the canary's server side: `status` 403 is a policy denial (its own
  // counts and latency buckets, since whether a query sees it depends on the proxy that
  // records it), 5xx a server error.
  void Add(double time, double latency, int status) {
    const auto second = static_cast<long long>(std::floor(time));
    const std::size_t slot = static_cast<std::size_t>(second) % slots_;
    std::uint64_t* row = &data_[slot * width_];
    if (stamp_[slot] != second) {
      std::fill(row, row + width_, 0);
      stamp_[slot] = second;
    }
    const bool denied = status == 403;
    ++row[denied ? kDenied : kServed];
    if (status >= 500) ++row[k5xx];
    const double ms = latency * 1000;
    const std::size_t b = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), ms) - bounds_.begin());
    // b == bounds_.size(): the +Inf bucket
    ++row[kBuckets + (denied ? bounds_.size() + 1 : 0) + b];
  }
  // What one query sees over seconds [now - interval, now).
  struct View {
    bool denials_recorded = false;  // the recording proxy sees denied requests (as 403)
    bool fails_5xx = true;          // the query's failure selector matches 5xx codes
    bool fails_403 = false;         // ... and 403
  };
  void Sum(double now, double interval, const View& view, std::uint64_t* total,
           std::uint64_t* failed, std::vector<std::uint64_t>* buckets) const {
    *total = *failed = 0;
    buckets->assign(bounds_.size() + 1, 0);
    const auto last = static_cast<long long>(std::floor(now)) - 1;
    const auto first = static_cast<long long>(std::floor(now - interval + kTimeTolerance));
    for (long long s = std::max(first, last - static_cast<long long>(slots_) + 1); s <= last; ++s) {
      if (s < 0) continue;
      const std::size_t slot = static_cast<std::size_t>(s) % slots_;
      if (stamp_[slot] != s) continue;
      const std::uint64_t* row = &data_[slot * width_];
      *total += row[kServed];
      if (view.fails_5xx) *failed += row[k5xx];
      for (std::size_t b = 0; b <= bounds_.size(); ++b) (*buckets)[b] += row[kBuckets + b];
      if (!view.denials_recorded) continue;
      *total += row[kDenied];
      if (view.fails_403) *failed += row[kDenied];
      for (std::size_t b = 0; b <= bounds_.size(); ++b)
        (*buckets)[b] += row[kBuckets + bounds_.size() + 1 + b];
    }
  }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  // Row layout: served (not denied), 5xx among them, denied, then the served latency
  // buckets and the denied latency buckets.
  static constexpr std::size_t kServed = 0, k5xx = 1, kDenied = 2, kBuckets = 3;
  std::size_t slots_;
  std::vector<double> bounds_;
  std::size_t width_;
  std::vector<std::uint64_t> data_;
  std::vector<long long> stamp_;
};

}  // namespace meshproof::sim
