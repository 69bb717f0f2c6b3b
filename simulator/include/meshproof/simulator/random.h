// random.h: the simulator's random numbers, reproducible on every platform.
//
// std::*_distribution differs between standard libraries (SimGrid's StdRandom warns that
// "reproducibility is not guaranteed"), so every distribution here is our own code on top
// of std::mt19937_64, whose output sequence the C++ standard fixes. Same seed, same
// numbers, on any compiler.
//
// Thread-safety: an Rng is not shared; each replication owns one.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace meshproof::sim {

/// SplitMix64: derives independent seeds (replication r of seed s) from one 64-bit seed.
std::uint64_t SplitMix64(std::uint64_t x);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t Bits() { return engine_(); }
  /// Uniform on (0, 1): never exactly 0 or 1, so log() and 1/u are always finite.
  double Uniform01() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform integer in [0, n). REQUIRES: n > 0. Lemire's multiply-shift without rejection:
  /// bias below n / 2^32 (< 2.4e-7 for n < 1024 replicas), far under sampling noise.
  std::uint32_t Below(std::uint32_t n) {
    // The top 32 bits of a 64-bit draw, scaled: (x * n) >> 32 with x < 2^32.
    return static_cast<std::uint32_t>(((engine_() >> 32) * n) >> 32);
  }
  bool Bernoulli(double p) { return p > 0 && (p >= 1 || Uniform01() < p); }
  double Exponential(double mean) { return -mean * std::log(Uniform01()); }
  /// Standard normal by the Box-Muller transform (one of the pair is kept for next call).
  double Normal();

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// A non-negative random duration in seconds: service times, network latency, think time.
/// Parameters are set by the factory functions; Sample draws one value.
class Distribution {
 public:
  enum class Kind : std::uint8_t {
    kDeterministic,     // value
    kExponential,       // mean
    kLognormal,         // median and p99 (mu, sigma of the underlying normal)
    kHyperExponential,  // two exponential phases: probability p of mean1, else mean2
    kErlang,            // k phases, total mean
    kEmpirical,         // histogram: bucket upper bounds and weights, uniform inside a bucket
  };

  Distribution() = default;  // deterministic 0
  static Distribution Deterministic(double value);
  static Distribution Exponential(double mean);
  /// Lognormal with the given median and 99th percentile. REQUIRES: 0 < median < p99.
  static Distribution LognormalMedianP99(double median, double p99);
  /// Balanced-means H2 with this mean and squared coefficient of variation cs2 > 1.
  static Distribution HyperExponentialBalanced(double mean, double cs2);
  static Distribution HyperExponential(double p, double mean1, double mean2);
  static Distribution Erlang(int k, double mean);
  /// upper_bounds ascending, weights >= 0 with a positive sum; values in bucket i are
  /// uniform on [upper_bounds[i-1], upper_bounds[i]] (the first starts at 0).
  static Distribution Empirical(std::vector<double> upper_bounds, std::vector<double> weights);

  double Sample(Rng& rng) const;
  double Mean() const;
  /// E[S^2], for Pollaczek-Khinchine.
  double SecondMoment() const;
  Kind kind() const { return kind_; }
  /// "exponential(mean 10ms)" and the like, for messages and output.
  std::string Describe() const;

 private:
  Kind kind_ = Kind::kDeterministic;
  double a_ = 0, b_ = 0, c_ = 0;
  int k_ = 1;
  std::vector<double> bounds_, cumulative_;  // empirical
};

}  // namespace meshproof::sim
