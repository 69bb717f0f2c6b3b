#include "meshproof/simulator/random.h"

#include <algorithm>
#include <cstdio>
#include <numbers>

namespace meshproof::sim {

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double Rng::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double r = std::sqrt(-2.0 * std::log(Uniform01()));
  const double theta = 2.0 * std::numbers::pi * Uniform01();
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

Distribution Distribution::Deterministic(double value) {
  Distribution d;
  d.kind_ = Kind::kDeterministic;
  d.a_ = value;
  return d;
}

Distribution Distribution::Exponential(double mean) {
  Distribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = mean;
  return d;
}

Distribution Distribution::LognormalMedianP99(double median, double p99) {
  // ln S ~ N(mu, sigma): median = e^mu, p99 = e^(mu + z99 sigma), z99 = 2.3263478740408408.
  Distribution d;
  d.kind_ = Kind::kLognormal;
  d.a_ = std::log(median);
  d.b_ = (std::log(p99) - d.a_) / 2.3263478740408408;
  return d;
}

Distribution Distribution::HyperExponential(double p, double mean1, double mean2) {
  Distribution d;
  d.kind_ = Kind::kHyperExponential;
  d.a_ = p;
  d.b_ = mean1;
  d.c_ = mean2;
  return d;
}

Distribution Distribution::HyperExponentialBalanced(double mean, double cs2) {
  // Balanced means (p/mu1 = (1-p)/mu2): p = (1 + sqrt((cs2-1)/(cs2+1)))/2,
  // mean1 = mean/(2p), mean2 = mean/(2(1-p)).
  const double p = 0.5 * (1 + std::sqrt((cs2 - 1) / (cs2 + 1)));
  return HyperExponential(p, mean / (2 * p), mean / (2 * (1 - p)));
}

Distribution Distribution::Erlang(int k, double mean) {
  Distribution d;
  d.kind_ = Kind::kErlang;
  d.k_ = std::max(1, k);
  d.a_ = mean / d.k_;
  return d;
}

Distribution Distribution::Empirical(std::vector<double> upper_bounds,
                                     std::vector<double> weights) {
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  double total = 0;
  for (double w : weights) total += w;
  double run = 0;
  for (double w : weights) {
    run += w;
    d.cumulative_.push_back(run / total);
  }
  if (!d.cumulative_.empty()) d.cumulative_.back() = 1.0;
  d.bounds_ = std::move(upper_bounds);
  return d;
}

double Distribution::Sample(Rng& rng) const {
  switch (kind_) {
    case Kind::kDeterministic:
      return a_;
    case Kind::kExponential:
      return rng.Exponential(a_);
    case Kind::kLognormal:
      return std::exp(a_ + b_ * rng.Normal());
    case Kind::kHyperExponential:
      return rng.Exponential(rng.Uniform01() < a_ ? b_ : c_);
    case Kind::kErlang: {
      // The sum of k exponentials is -mean/k * ln(prod u_i); one log for all phases.
      double prod = 1;
      for (int i = 0; i < k_; ++i) prod *= rng.Uniform01();
      return -a_ * std::log(prod);
    }
    case Kind::kEmpirical: {
      const double u = rng.Uniform01();
      const std::size_t i = static_cast<std::size_t>(
          std::lower_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
      const std::size_t b = std::min(i, bounds_.size() - 1);
      const double lo = b == 0 ? 0.0 : bounds_[b - 1];
      return lo + (bounds_[b] - lo) * rng.Uniform01();
    }
  }
  return 0;
}

double Distribution::Mean() const {
  switch (kind_) {
    case Kind::kDeterministic:
      return a_;
    case Kind::kExponential:
      return a_;
    case Kind::kLognormal:
      return std::exp(a_ + b_ * b_ / 2);
    case Kind::kHyperExponential:
      return a_ * b_ + (1 - a_) * c_;
    case Kind::kErlang:
      return a_ * k_;
    case Kind::kEmpirical: {
      double m = 0, prev_c = 0, prev_b = 0;
      for (std::size_t i = 0; i < bounds_.size(); ++i) {
        m += (cumulative_[i] - prev_c) * (prev_b + bounds_[i]) / 2;
        prev_c = cumulative_[i];
        prev_b = bounds_[i];
      }
      return m;
    }
  }
  return 0;
}

double Distribution::SecondMoment() const {
  switch (kind_) {
    case Kind::kDeterministic:
      return a_ * a_;
    case Kind::kExponential:
      return 2 * a_ * a_;
    case Kind::kLognormal:
      return std::exp(2 * a_ + 2 * b_ * b_);
    case Kind::kHyperExponential:
      return 2 * (a_ * b_ * b_ + (1 - a_) * c_ * c_);
    case Kind::kErlang:
      return k_ * (k_ + 1) * a_ * a_;
    case Kind::kEmpirical: {
      double m = 0, prev_c = 0, prev_b = 0;
      for (std::size_t i = 0; i < bounds_.size(); ++i) {
        const double lo = prev_b, hi = bounds_[i];
        m += (cumulative_[i] - prev_c) * (lo * lo + lo * hi + hi * hi) / 3;
        prev_c = cumulative_[i];
        prev_b = hi;
      }
      return m;
    }
  }
  return 0;
}

namespace {
std::string Ms(double seconds) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6gms", seconds * 1000);
  return buf;
}
}  // namespace

std::string Distribution::Describe() const {
  switch (kind_) {
    case Kind::kDeterministic:
      return "deterministic(" + Ms(a_) + ")";
    case Kind::kExponential:
      return "exponential(mean " + Ms(a_) + ")";
    case Kind::kLognormal:
      return "lognormal(median " + Ms(std::exp(a_)) + ", p99 " +
             Ms(std::exp(a_ + 2.3263478740408408 * b_)) + ")";
    case Kind::kHyperExponential:
      return "hyperexponential(mean " + Ms(Mean()) + ")";
    case Kind::kErlang:
      return "erlang(k " + std::to_string(k_) + ", mean " + Ms(Mean()) + ")";
    case Kind::kEmpirical:
      return "empirical(" + std::to_string(bounds_.size()) + " buckets, mean " + Ms(Mean()) + ")";
  }
  return "";
}

}  // namespace meshproof::sim
