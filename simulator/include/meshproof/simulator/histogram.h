// histogram.h: a streaming latency histogram with bounded relative error.
//
// Log-linear buckets (as HdrHistogram): each power of two from 2^-20 s (~1 us) to 2^20 s is
// cut into 64 equal sub-buckets, so a bucket spans at most 1/64 of its lower bound. A
// quantile is reported as the midpoint of the bucket holding the requested rank (clamped
// to the observed min and max), so **its relative error is at most 1/128 (0.79%)** for
// values in range; values below 2^-20 s land in one underflow bucket (reported as the
// observed minimum), values above 2^20 s in an overflow bucket (reported as the maximum).
// The mean is exact (a running sum). Memory is fixed (2562 counters), independent of how
// many values are recorded.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace meshproof::sim {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;  // 64 sub-buckets per octave
  static constexpr int kMinExp = -20;
  static constexpr int kMaxExp = 20;
  static constexpr std::size_t kBuckets = static_cast<std::size_t>(kMaxExp - kMinExp) << kSubBits;
  /// The guaranteed bound on a quantile's relative error for values in range.
  static constexpr double kRelativeErrorBound = 1.0 / 128;

  LatencyHistogram() : counts_(kBuckets + 2, 0) {}

  /// Records one value in seconds (negative values count as 0).
  void Add(double seconds);
  /// Adds every count of `other`.
  void Merge(const LatencyHistogram& other);
  void Clear();

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }
  double min() const { return min_; }
  double max() const { return max_; }
  /// The q-quantile (0 < q <= 1): the value of rank ceil(q * count). 0 when empty.
  double Quantile(double q) const;

  /// Non-zero buckets as (index, count): a compact copy for closed metric windows.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> Sparse() const;
  void AddSparse(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& sparse, double sum,
                 double min, double max);

  /// Bucket index of a value, and a bucket's [low, high) range: for tests of the bound.
  static std::size_t IndexOf(double seconds);
  static std::pair<double, double> BucketRange(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = 0, max_ = 0;
};

}  // namespace meshproof::sim
