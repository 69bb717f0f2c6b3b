#include "meshproof/simulator/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace meshproof::sim {

std::size_t LatencyHistogram::IndexOf(double seconds) {
  if (!(seconds >= std::ldexp(1.0, kMinExp))) return 0;  // underflow (and NaN)
  if (seconds >= std::ldexp(1.0, kMaxExp)) return kBuckets + 1;
  // The exponent and the top kSubBits mantissa bits of the IEEE double give the bucket
  // directly: no log() on the hot path.
  std::uint64_t bits;
  std::memcpy(&bits, &seconds, sizeof bits);
  const int exp = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  const std::uint64_t sub = (bits >> (52 - kSubBits)) & ((1u << kSubBits) - 1);
  return 1 + (static_cast<std::size_t>(exp - kMinExp) << kSubBits) + sub;
}

std::pair<double, double> LatencyHistogram::BucketRange(std::size_t index) {
  if (index == 0) return {0.0, std::ldexp(1.0, kMinExp)};
  if (index > kBuckets) return {std::ldexp(1.0, kMaxExp), HUGE_VAL};
  const std::size_t i = index - 1;
  const int exp = kMinExp + static_cast<int>(i >> kSubBits);
  const double base = std::ldexp(1.0, exp);
  const double width = base / (1 << kSubBits);
  const double sub = static_cast<double>(i & ((1u << kSubBits) - 1));
  return {base + sub * width, base + (sub + 1) * width};
}

void LatencyHistogram::Add(double seconds) {
  if (seconds < 0) seconds = 0;
  ++counts_[IndexOf(seconds)];
  if (count_ == 0 || seconds < min_) min_ = seconds;
  if (count_ == 0 || seconds > max_) max_ = seconds;
  ++count_;
  sum_ += seconds;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  if (count_ == 0 || other.max_ > max_) max_ = other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = max_ = 0;
}

double LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank =
      static_cast<std::uint64_t>(std::max(1.0, std::ceil(q * static_cast<double>(count_) - 1e-9)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      if (i == 0) return min_;
      if (i > kBuckets) return max_;
      auto [lo, hi] = BucketRange(i);
      return std::clamp((lo + hi) / 2, min_, max_);
    }
  }
  return max_;
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> LatencyHistogram::Sparse() const {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) out.emplace_back(static_cast<std::uint32_t>(i), counts_[i]);
  }
  return out;
}

void LatencyHistogram::AddSparse(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& sparse,
                                 double sum, double min, double max) {
  std::uint64_t n = 0;
  for (auto [i, c] : sparse) {
    counts_[i] += c;
    n += c;
  }
  if (n == 0) return;
  if (count_ == 0 || min < min_) min_ = min;
  if (count_ == 0 || max > max_) max_ = max;
  count_ += n;
  sum_ += sum;
}

}  // namespace meshproof::sim
