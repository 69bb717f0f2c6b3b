// Validation of the simulator against queueing theory (docs/reference/queueing-oracles.md, section
// 4).
//
// Each case runs a scenario from scenarios/validation/ (the textbook system expressed as
// a mesh: a client identity, Services, Deployments, a TrafficTarget) with enough
// independent replications for the sample sizes of section 4.8, and asserts that
//   - the closed form lies inside the simulator's 99% confidence interval, and
//   - the interval is tight: half-width <= 2% of the mean and <= 5% of p99 (load <= 0.8).
// The closed forms are computed here from their formulas, and the formulas are first
// checked against the worked numbers of the document's tables.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "meshproof/simulator/simulation.h"

namespace meshproof::sim {
namespace {

// --- closed forms ---------------------------------------------------------------------

double ErlangB(int c, double a) {
  double b = 1;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return b;
}
double ErlangC(int c, double a) {
  const double b = ErlangB(c, a);
  return c * b / (c - a * (1 - b));
}
// Sojourn-time quantile of M/M/c by bisection on P(T > t) (4.2).
double MmcSojournQuantile(double lambda, double mu, int c, double p) {
  const double C = ErlangC(c, lambda / mu);
  const double theta = c * mu - lambda;
  auto tail = [&](double t) {
    if (std::fabs(theta - mu) < 1e-12)
      return (1 - C) * std::exp(-mu * t) + C * std::exp(-mu * t) * (1 + mu * t);
    return (1 - C) * std::exp(-mu * t) +
           C * (theta * std::exp(-mu * t) - mu * std::exp(-theta * t)) / (theta - mu);
  };
  double lo = 0, hi = 100 / mu;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (tail(mid) > 1 - p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}
double MmcW(double lambda, double mu, int c) {
  return ErlangC(c, lambda / mu) / (c * mu - lambda) + 1 / mu;
}
// M/M/c/K: stationary distribution (4.3).
struct Mmck {
  double block, throughput, L, W;
};
Mmck MmcK(double lambda, double mu, int c, int K) {
  const double a = lambda / mu;
  std::vector<double> p(static_cast<std::size_t>(K) + 1);
  p[0] = 1;
  for (int n = 1; n <= K; ++n)
    p[static_cast<std::size_t>(n)] = p[static_cast<std::size_t>(n - 1)] * a / std::min(n, c);
  double sum = 0;
  for (double x : p) sum += x;
  double L = 0;
  for (int n = 0; n <= K; ++n) L += n * p[static_cast<std::size_t>(n)] / sum;
  Mmck r;
  r.block = p[static_cast<std::size_t>(K)] / sum;
  r.throughput = lambda * (1 - r.block);
  r.L = L;
  r.W = L / r.throughput;
  return r;
}
// M/D/1 waiting-time CDF (4.4) by the Erlang alternating series, in long double; fine for
// t/D < 30 (our quantiles stay below 12).
double Md1WaitCdf(double lambda, double D, double t) {
  const double rho = lambda * D;
  long double sum = 0;
  for (int k = 0; k <= static_cast<int>(std::floor(t / D)); ++k) {
    const long double x = lambda * (k * D - t);
    sum += std::pow(x, k) / std::tgamma(k + 1.0L) * std::exp(-x);
  }
  return static_cast<double>((1 - rho) * sum);
}
double Md1WaitQuantile(double lambda, double D, double p) {
  if (Md1WaitCdf(lambda, D, 0) >= p) return 0;
  double lo = 0, hi = 30 * D;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (Md1WaitCdf(lambda, D, mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

TEST(ClosedForms, MatchTheWorkedNumbers) {
  // 4.1
  EXPECT_NEAR(std::log(100.0) / (100 - 80), 0.2303, 1e-4);
  // 4.2
  EXPECT_NEAR(ErlangC(2, 1.5), 0.6429, 1e-4);
  EXPECT_NEAR(MmcW(150, 100, 2), 0.02286, 1e-5);
  EXPECT_NEAR(MmcSojournQuantile(150, 100, 2, 0.99), 0.09710, 1e-4);
  EXPECT_NEAR(MmcSojournQuantile(150, 100, 2, 0.50), 0.01688, 1e-5);
  EXPECT_NEAR(ErlangC(10, 8), 0.4092, 1e-4);
  EXPECT_NEAR(MmcSojournQuantile(800, 100, 10, 0.99), 0.04946, 1e-4);
  // 4.3
  EXPECT_NEAR(ErlangB(5, 3), 0.1101, 1e-4);
  EXPECT_NEAR(ErlangB(20, 15), 0.04559, 1e-5);
  EXPECT_NEAR(MmcK(90, 100, 1, 10).block, 0.05081, 1e-5);
  EXPECT_NEAR(MmcK(90, 100, 1, 10).W, 0.04647, 1e-5);
  EXPECT_NEAR(MmcK(350, 100, 4, 8).block, 0.08699, 1e-5);
  EXPECT_NEAR(MmcK(350, 100, 4, 8).W, 0.01314, 1e-5);
  // 4.4
  EXPECT_NEAR(Md1WaitQuantile(80, 0.01, 0.50), 0.01276, 1e-4);
  EXPECT_NEAR(Md1WaitQuantile(80, 0.01, 0.90), 0.05012, 1e-4);
  EXPECT_NEAR(Md1WaitQuantile(80, 0.01, 0.99), 0.1036, 1e-3);
}

// --- running a case -------------------------------------------------------------------

struct Runs {
  LoadedScenario loaded;
  PreparedScenario prepared;
  SimulationResult result;

  // Per replication, one value picked from its results.
  std::vector<double> Client(const std::string& service, double MetricValues::*f) const {
    std::vector<double> out;
    for (std::size_t e = 0; e < result.edges.size(); ++e) {
      const EdgeInfo& info = result.edges[e];
      if (info.side != EdgeSide::kClient || info.peer.name != service) continue;
      for (const auto& run : result.runs) out.push_back(run.edges[e].*f);
    }
    return out;
  }
  std::vector<double> Node(const std::string& workload, double NodeValues::*f) const {
    std::vector<double> out;
    for (std::size_t n = 0; n < result.nodes.size(); ++n) {
      if (result.nodes[n].workload.name != workload) continue;
      for (const auto& run : result.runs) out.push_back(run.nodes[n].*f);
    }
    return out;
  }
};

Runs RunCase(const std::string& name, int replications, double duration) {
  Runs r;
  r.loaded =
      LoadScenario(std::string(MESHPROOF_SOURCE_DIR) + "/scenarios/validation/" + name + ".yaml");
  r.prepared = PrepareScenario(&r.loaded);
  EXPECT_TRUE(r.prepared.simulator != nullptr) << name;
  for (const auto& d : r.loaded.diagnostics.items()) ADD_FAILURE() << d.message;
  if (r.prepared.simulator == nullptr) return r;
  SimulationOptions options;
  options.replications = replications;
  options.duration = duration;
  options.jobs = 2;
  // Each case its own seed: with common random numbers, cases that share a seed and a source
  // name would share their arrival streams, and one unlucky stream would fail them together
  // (they must be independent trials of the 99% intervals).
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ULL;
  options.seed = h;
  r.result = r.prepared.simulator->Run(options);
  return r;
}

// The closed form lies in the 99% interval, and the interval is at most max_rel of it wide.
void ExpectMatches(const std::vector<double>& values, double expected, double max_rel,
                   const std::string& what) {
  ASSERT_GE(values.size(), 10u) << what;
  const Interval iv = ConfidenceInterval(values, 0.99);
  EXPECT_TRUE(iv.Contains(expected))
      << what << ": closed form " << expected << " outside the 99% CI [" << iv.low() << ", "
      << iv.high() << "]";
  EXPECT_LE(iv.half_width, max_rel * expected)
      << what << ": half-width " << iv.half_width << " is " << 100 * iv.half_width / expected
      << "% of " << expected;
}

// Little's law on every node that saw traffic: L = throughput x W, per replication, to
// within boundary effects.
void ExpectLittle(const Runs& r) {
  for (std::size_t n = 0; n < r.result.nodes.size(); ++n) {
    for (const auto& run : r.result.runs) {
      const NodeValues& v = run.nodes[n];
      if (v.completions < 1000) continue;
      EXPECT_NEAR(v.mean_in_system, v.throughput * v.mean_time_in_system, 0.01 * v.mean_in_system)
          << r.result.nodes[n].workload.name;
    }
  }
}

constexpr double kMean = 0.02;  // half-width caps (4.8)
constexpr double kP99 = 0.05;

void ExpectMm1(const std::string& name, double lambda, double mu, int reps, double duration) {
  const Runs r = RunCase(name, reps, duration);
  const double w = 1 / (mu - lambda);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), w, kMean, "W");
  ExpectMatches(r.Client("node-a", &MetricValues::p50), std::log(2.0) * w, kMean, "p50");
  ExpectMatches(r.Client("node-a", &MetricValues::p90), std::log(10.0) * w, kMean * 1.5, "p90");
  ExpectMatches(r.Client("node-a", &MetricValues::p99), std::log(100.0) * w, kP99, "p99");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_in_system), lambda * w, kMean * 1.5, "L");
  ExpectLittle(r);
}

TEST(Validation, MM1Rho05) { ExpectMm1("mm1-rho05", 50, 100, 20, 1000); }
TEST(Validation, MM1Rho08) { ExpectMm1("mm1-rho08", 80, 100, 20, 2000); }
TEST(Validation, SlowMM1Rho09) { ExpectMm1("mm1-rho09", 90, 100, 20, 12000); }

void ExpectMmc(const std::string& name, double lambda, double mu, int c, int reps,
               double duration) {
  const Runs r = RunCase(name, reps, duration);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), MmcW(lambda, mu, c), kMean, "W");
  ExpectMatches(r.Client("node-a", &MetricValues::p50), MmcSojournQuantile(lambda, mu, c, 0.5),
                kMean, "p50");
  ExpectMatches(r.Client("node-a", &MetricValues::p90), MmcSojournQuantile(lambda, mu, c, 0.9),
                kMean * 1.5, "p90");
  ExpectMatches(r.Client("node-a", &MetricValues::p99), MmcSojournQuantile(lambda, mu, c, 0.99),
                kP99, "p99");
  ExpectLittle(r);
}

TEST(Validation, MMcTwoServersOneReplica) { ExpectMmc("mmc-c2", 150, 100, 2, 20, 1000); }
TEST(Validation, MMcTenServersOneReplica) { ExpectMmc("mmc-c10", 800, 100, 10, 20, 250); }

TEST(Validation, FourReplicasRandomBalancingAreFourMM1) {
  const Runs r = RunCase("random-4-replicas", 20, 600);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.05, kMean, "W");
  ExpectMatches(r.Client("node-a", &MetricValues::p99), std::log(100.0) * 0.05, kP99, "p99");
  ExpectMatches(r.Node("node-a", &NodeValues::utilisation), 0.8, kMean, "utilisation");
  ExpectLittle(r);
}

TEST(Validation, MD1) {
  const Runs r = RunCase("md1-rho08", 20, 1500);
  const double D = 0.01;
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.03, kMean, "W");
  ExpectMatches(r.Client("node-a", &MetricValues::p50), D + Md1WaitQuantile(80, D, 0.5),
                kMean * 1.5, "p50");
  ExpectMatches(r.Client("node-a", &MetricValues::p90), D + Md1WaitQuantile(80, D, 0.9),
                kMean * 1.5, "p90");
  ExpectMatches(r.Client("node-a", &MetricValues::p99), D + Md1WaitQuantile(80, D, 0.99), kP99,
                "p99");
  ExpectLittle(r);
}

TEST(Validation, MG1HyperExponentialPollaczekKhinchine) {
  const Runs r = RunCase("mg1-h2", 20, 2000);
  // Wq = rho (1 + cs2) E[S] / (2 (1 - rho)).
  const double rho = 0.5, es = 0.01, cs2 = 4;
  ExpectMatches(r.Client("node-a", &MetricValues::mean),
                rho * (1 + cs2) * es / (2 * (1 - rho)) + es, kMean, "W");
  ExpectLittle(r);
}

TEST(Validation, MG1ProcessorSharingMeans) {
  const Runs r = RunCase("mg1-ps", 20, 2000);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.01 / (1 - 0.8), kMean, "E[T]");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_in_system), 0.8 / (1 - 0.8), kMean * 1.5, "L");
  ExpectLittle(r);
}

void ExpectMmck(const std::string& name, double lambda, double mu, int c, int K, int reps,
                double duration) {
  const Runs r = RunCase(name, reps, duration);
  const Mmck q = MmcK(lambda, mu, c, K);
  ExpectMatches(r.Node("node-a", &NodeValues::blocking), q.block, 0.05, "P_block");
  ExpectMatches(r.Node("node-a", &NodeValues::throughput), q.throughput, kMean, "throughput");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_time_in_system), q.W, kMean, "W");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_in_system), q.L, kMean, "L");
  ExpectLittle(r);
}

TEST(Validation, MM1K10Blocking) { ExpectMmck("mm1k-10", 90, 100, 1, 10, 20, 1500); }
TEST(Validation, MMcK48Blocking) { ExpectMmck("mmck-4-8", 350, 100, 4, 8, 20, 500); }
TEST(Validation, ErlangBLoss) {
  const Runs r = RunCase("erlang-b-5", 20, 500);
  ExpectMatches(r.Node("node-a", &NodeValues::blocking), ErlangB(5, 3), 0.03, "B(5,3)");
  ExpectLittle(r);
}

TEST(Validation, JacksonTandem) {
  const Runs r = RunCase("jackson-tandem", 20, 3000);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.06, kMean, "network E[T]");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_time_in_system), 0.01, kMean, "node-a W");
  ExpectMatches(r.Node("node-b", &NodeValues::mean_time_in_system), 0.05, kMean, "node-b W");
  ExpectLittle(r);
}

TEST(Validation, JacksonFanOut) {
  const Runs r = RunCase("jackson-fanout", 20, 1000);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.055, kMean, "network E[T]");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_time_in_system), 0.02, kMean, "node-a W");
  ExpectMatches(r.Node("node-b", &NodeValues::mean_time_in_system), 0.025, kMean, "node-b W");
  ExpectMatches(r.Node("node-c", &NodeValues::mean_time_in_system), 0.05, kMean, "node-c W");
  ExpectMatches(r.Node("node-b", &NodeValues::throughput), 60, kMean, "node-b lambda");
  ExpectLittle(r);
}

TEST(Validation, JacksonFeedback) {
  const Runs r = RunCase("jackson-feedback", 20, 1500);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.05 / 1.5, kMean, "network E[T]");
  ExpectMatches(r.Node("node-a", &NodeValues::throughput), 62.5, kMean, "node lambda");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_time_in_system), 1 / (100 - 62.5), kMean,
                "W per visit");
  ExpectLittle(r);
}

TEST(Validation, JacksonThreeNodesWithLoops) {
  const Runs r = RunCase("jackson-3node", 20, 2500);
  ExpectMatches(r.Client("node-a", &MetricValues::mean), 0.08005, kMean, "network E[T]");
  ExpectMatches(r.Node("node-a", &NodeValues::mean_time_in_system), 0.016, kMean, "node 1 W");
  ExpectMatches(r.Node("node-b", &NodeValues::mean_time_in_system), MmcW(37.5, 40, 2), kMean,
                "node 2 W");
  ExpectMatches(r.Node("node-c", &NodeValues::mean_time_in_system), 0.032, kMean, "node 3 W");
  ExpectLittle(r);
}

// A two-state MMPP: its long-run rate is the time-weighted mean of its rates, and the
// same mean rate arriving in bursts waits far longer than Poisson arrivals (M/M/1 at
// rho 0.6: W = 25 ms).
TEST(Validation, MmppLongRunRateAndBurstierWaiting) {
  const Runs r = RunCase("mmpp-bursty", 10, 2000);
  const double rate = (120.0 * 2 + 40.0 * 6) / 8;
  ExpectMatches(r.Node("node-a", &NodeValues::throughput), rate, 0.03, "long-run rate");
  const Interval w = ConfidenceInterval(r.Client("node-a", &MetricValues::mean), 0.99);
  EXPECT_GT(w.low(), 1.5 * (1 / (100 - rate))) << "MMPP W " << w.mean;
  ExpectLittle(r);
}

}  // namespace
}  // namespace meshproof::sim
