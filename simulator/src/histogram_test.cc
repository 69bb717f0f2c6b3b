#include "meshproof/simulator/histogram.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "meshproof/simulator/random.h"

namespace meshproof::sim {
namespace {

TEST(LatencyHistogram, BucketsSpanAtMostOneSixtyFourthOfTheirValue) {
  for (double v = 1.5e-6; v < 1e5; v *= 1.37) {
    const std::size_t i = LatencyHistogram::IndexOf(v);
    auto [lo, hi] = LatencyHistogram::BucketRange(i);
    EXPECT_LE(lo, v);
    EXPECT_LT(v, hi);
    EXPECT_LE((hi - lo) / lo, 1.0 / 64 + 1e-12);
  }
}

TEST(LatencyHistogram, QuantilesWithinTheStatedBoundOfExactOrderStatistics) {
  Rng rng(7);
  LatencyHistogram h;
  std::vector<double> values;
  for (int i = 0; i < 100000; ++i) {
    const double v = std::exp(-6 + 3 * rng.Normal());  // spans many octaves
    values.push_back(v);
    h.Add(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * values.size()));
    const double exact = values[rank - 1];
    EXPECT_LE(std::fabs(h.Quantile(q) - exact) / exact,
              LatencyHistogram::kRelativeErrorBound + 1e-12)
        << q;
  }
  double sum = 0;
  for (double v : values) sum += v;
  EXPECT_NEAR(h.mean(), sum / values.size(), 1e-12 * sum);
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogram, ExtremesAndEmpty) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.99), 0);
  h.Add(0);
  h.Add(-1);   // counted as 0
  h.Add(1e9);  // overflow: reported as the maximum
  EXPECT_EQ(h.Quantile(0.5), 0);
  EXPECT_EQ(h.Quantile(1.0), 1e9);
}

TEST(LatencyHistogram, SparseRoundTripAndMerge) {
  LatencyHistogram a, b, c;
  for (int i = 1; i <= 1000; ++i) a.Add(i * 1e-3);
  for (int i = 1; i <= 500; ++i) b.Add(i * 2e-3);
  c.AddSparse(a.Sparse(), a.sum(), a.min(), a.max());
  EXPECT_EQ(c.Quantile(0.9), a.Quantile(0.9));
  c.Merge(b);
  EXPECT_EQ(c.count(), 1500u);
  EXPECT_EQ(c.max(), 1.0);
}

}  // namespace
}  // namespace meshproof::sim
