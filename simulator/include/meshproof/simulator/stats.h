// stats.h: confidence intervals across independent replications.
#pragma once

#include <vector>

namespace meshproof::sim {

/// The p-quantile of Student's t distribution with `df` degrees of freedom (p in (0,1)),
/// by bisection on the CDF (regularized incomplete beta); accurate to ~1e-10.
double StudentTQuantile(double p, int df);

struct Interval {
  double mean = 0;
  double half_width = 0;  // 0 with fewer than two values
  double low() const { return mean - half_width; }
  double high() const { return mean + half_width; }
  bool Contains(double x) const { return x >= low() && x <= high(); }
};

/// The two-sided `level` (e.g. 0.95) t-interval for the mean of `values`.
Interval ConfidenceInterval(const std::vector<double>& values, double level);

}  // namespace meshproof::sim
