#include "meshproof/simulator/stats.h"

#include <cmath>

namespace meshproof::sim {
namespace {

// Continued fraction for the regularized incomplete beta function (Lentz's method).
double BetaContinuedFraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return h;
}

double RegularizedBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
}

double StudentTCdf(double t, int df) {
  const double v = df;
  const double x = v / (v + t * t);
  const double tail = 0.5 * RegularizedBeta(v / 2, 0.5, x);
  return t >= 0 ? 1 - tail : tail;
}

}  // namespace

double StudentTQuantile(double p, int df) {
  if (df < 1) df = 1;
  double lo = -1e3, hi = 1e3;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (StudentTCdf(mid, df) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

Interval ConfidenceInterval(const std::vector<double>& values, double level) {
  Interval iv;
  const std::size_t n = values.size();
  if (n == 0) return iv;
  double sum = 0;
  for (double v : values) sum += v;
  iv.mean = sum / static_cast<double>(n);
  if (n < 2) return iv;
  double ss = 0;
  for (double v : values) ss += (v - iv.mean) * (v - iv.mean);
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  const double t = StudentTQuantile(0.5 + level / 2, static_cast<int>(n - 1));
  iv.half_width = t * sd / std::sqrt(static_cast<double>(n));
  return iv;
}

}  // namespace meshproof::sim
