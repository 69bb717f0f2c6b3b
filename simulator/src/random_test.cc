#include "meshproof/simulator/random.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "meshproof/simulator/stats.h"

namespace meshproof::sim {
namespace {

TEST(Rng, SameSeedSameSequenceAndKnownFirstValue) {
  Rng a(42), b(42), c(43);
  // std::mt19937_64 is fully specified by the standard: its 10000th output for the default
  // seed is 9981545732273789042; our Bits() is that engine unchanged.
  Rng d(5489);
  std::uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = d.Bits();
  EXPECT_EQ(x, 9981545732273789042ULL);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Uniform01(), b.Uniform01());
  EXPECT_NE(Rng(42).Bits(), c.Bits());
  EXPECT_NE(SplitMix64(1), SplitMix64(2));
}

TEST(Rng, UniformIsOpenAndBelowIsInRange) {
  Rng r(1);
  for (int i = 0; i < 100000; ++i) {
    const double u = r.Uniform01();
    ASSERT_GT(u, 0);
    ASSERT_LT(u, 1);
    ASSERT_LT(r.Below(7), 7u);
  }
}

// Moments of every distribution against their closed forms, 200 000 samples each.
void ExpectMoments(const Distribution& d, double mean, double second, const char* what) {
  Rng r(11);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = d.Sample(r);
    ASSERT_GE(x, 0) << what;
    s += x;
    s2 += x * x;
  }
  EXPECT_NEAR(d.Mean(), mean, 1e-9 * mean) << what;
  EXPECT_NEAR(d.SecondMoment(), second, 1e-9 * second) << what;
  const double var = second - mean * mean;
  EXPECT_NEAR(s / n, mean, 5 * std::sqrt(var / n) + 1e-12) << what;
  EXPECT_NEAR(s2 / n, second, 0.05 * second) << what;
}

TEST(Distribution, MomentsMatchClosedForms) {
  ExpectMoments(Distribution::Deterministic(0.01), 0.01, 1e-4, "deterministic");
  ExpectMoments(Distribution::Exponential(0.01), 0.01, 2e-4, "exponential");
  ExpectMoments(Distribution::Erlang(4, 0.01), 0.01, 1e-4 * 1.25, "erlang-4");
  // Balanced H2 with scv 4: E[S^2] = (1 + scv) E[S]^2.
  ExpectMoments(Distribution::HyperExponentialBalanced(0.01, 4), 0.01, 5e-4, "h2");
  const Distribution ln = Distribution::LognormalMedianP99(0.01, 0.1);
  const double sigma = std::log(10.0) / 2.3263478740408408;
  ExpectMoments(ln, 0.01 * std::exp(sigma * sigma / 2), 1e-4 * std::exp(2 * sigma * sigma),
                "lognormal");
  ExpectMoments(Distribution::Empirical({0.01, 0.02}, {1, 1}), 0.01,
                (1e-4 / 3 + (1e-4 + 2e-4 + 4e-4) / 3) / 2, "empirical");
}

TEST(Distribution, LognormalHitsItsMedianAndP99) {
  const Distribution d = Distribution::LognormalMedianP99(0.008, 0.080);
  Rng r(3);
  std::vector<double> xs;
  for (int i = 0; i < 200000; ++i) xs.push_back(d.Sample(r));
  std::sort(xs.begin(), xs.end());
  EXPECT_NEAR(xs[100000], 0.008, 0.0002);
  EXPECT_NEAR(xs[198000], 0.080, 0.004);
}

TEST(Stats, StudentQuantilesAndIntervals) {
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.7062, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.975, 9), 2.2622, 1e-4);
  EXPECT_NEAR(StudentTQuantile(0.995, 19), 2.8609, 1e-4);
  EXPECT_NEAR(StudentTQuantile(0.975, 1000), 1.9623, 1e-4);
  const Interval iv = ConfidenceInterval({1, 2, 3, 4, 5}, 0.95);
  EXPECT_DOUBLE_EQ(iv.mean, 3);
  EXPECT_NEAR(iv.half_width, 2.7764 * std::sqrt(2.5) / std::sqrt(5.0), 1e-3);
  EXPECT_EQ(ConfidenceInterval({4}, 0.95).half_width, 0);
}

}  // namespace
}  // namespace meshproof::sim
