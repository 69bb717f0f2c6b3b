// Canary prediction over the simulated mesh: the worked numbers of
// docs/reference/canary-and-metrics.md 1.2/1.3 (failed requests on the way, no-data and binomial
// check failures at low traffic), access policy on the canary, and the load tester.
#include "meshproof/simulator/canary.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace meshproof::sim {

namespace {

namespace fs = std::filesystem;

// The podinfo mesh of scenarios/canary-healthy without its Canary, plus `canary`.
std::string Mesh(const std::string& canary, const std::string& target_sa = "podinfo") {
  std::ifstream in(std::string(MESHPROOF_SOURCE_DIR) +
                   "/scenarios/canary-healthy/mesh/podinfo.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text = text.substr(0, text.find("---\napiVersion: flagger.app"));
  if (target_sa != "podinfo") {
    const std::string from = "serviceAccountName: podinfo\n";
    text.replace(text.find(from), from.size(), "serviceAccountName: " + target_sa + "\n");
    text += "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " + target_sa +
            ", namespace: test}\n";
  }
  return text + "---\n" + canary;
}

std::string CanaryYaml(const std::string& analysis) {
  return "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: podinfo, namespace: "
         "test}\nspec:\n"
         "  provider: osm\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
         "  service: {port: 9898}\n  analysis:\n" +
         analysis;
}

struct Prediction {
  LoadedScenario loaded;
  std::unique_ptr<PreparedCanary> prepared;
  CanaryPrediction result;
};

std::unique_ptr<Prediction> Predict(const std::string& mesh, const std::string& spec,
                                    int replications, bool expect_errors = false) {
  static int counter = 0;
  const fs::path dir =
      fs::temp_directory_path() /
      ("meshproof-canary-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir / "mesh");
  std::ofstream(dir / "mesh" / "mesh.yaml") << mesh;
  auto p = std::make_unique<Prediction>();
  p->loaded = LoadScenarioText(
      "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  mesh: "
      "[mesh]\n" +
          spec,
      "t.yaml", dir.string());
  p->prepared = PrepareCanary(&p->loaded);
  for (const auto& d : p->loaded.diagnostics.items()) {
    if (!expect_errors) ADD_FAILURE() << d.message;
  }
  for (const auto& d : p->prepared->diagnostics.items()) {
    if (d.severity == Severity::kError && !expect_errors) ADD_FAILURE() << d.message;
  }
  fs::remove_all(dir);
  if (!p->prepared->ok()) return p;
  SimulationOptions o;
  o.replications = replications;
  o.jobs = 2;
  p->result = PredictCanary(*p->prepared, o);
  return p;
}

// |p - expected| within 4 binomial standard deviations of n runs.
void ExpectShare(const Proportion& got, double expected, int n, const char* what) {
  EXPECT_NEAR(got.p, expected, 4 * std::sqrt(expected * (1 - expected) / n) + 1e-9) << what;
}

TEST(HistogramQuantile, InterpolatesLikePrometheus) {
  const std::vector<double> le = {10, 20, 50};
  // 10 in (0,10], 80 in (10,20], 10 in (20,50]: p50 = 10 + 10 * (50 - 10) / 80 = 15.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, le, {10, 80, 10, 0}), 15);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, le, {10, 80, 10, 0}), 20 + 30 * 9.0 / 10);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, le, {0, 0, 1, 5}), 50);  // +Inf: the highest bound
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.99, le, {0, 0, 0, 0})));
}

TEST(Canary, WorkedExampleAboutFourHundredFiftyFailedUserRequests) {
  // 100 req/s, stepWeight 5, interval 30s, threshold 5, canary failing 50% from the start:
  // the canary holds 5% from t1 to the rollback at t7: 0.05 x 100 x 180 s x 0.5 = 450.
  auto p = Predict(
      Mesh(CanaryYaml("    interval: 30s\n    threshold: 5\n    maxWeight: 50\n    stepWeight: 5\n"
                      "    metrics: [{name: request-success-rate, thresholdRange: {min: 99}, "
                      "interval: 1m}]\n")),
      R"(  seed: 3
  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 100}]
  defaults: {concurrency: 32, serviceTime: 5ms}
  canary:
    detection: immediate
    loadTester: false
    canary: {errorRate: 0.5}
)",
      100);
  ASSERT_TRUE(p->prepared->ok());
  const CanaryPrediction& r = p->result;
  EXPECT_EQ(r.rolled_back.p, 1.0);
  EXPECT_EQ(r.decision_time.min, 210);  // t7 for every run
  EXPECT_EQ(r.decision_time.max, 210);
  // Per run: Poisson(900) canary requests, half failing: sd ~ 25; the mean of 100 runs.
  EXPECT_NEAR(r.failed_user_requests.mean, 450, 4 * 25 / 10.0);
  const CanaryRun& t = r.runs[r.typical];
  ASSERT_EQ(t.timeline.size(), 8u);
  EXPECT_EQ(t.timeline[7].events[0], "Rolling back podinfo.test failed checks threshold reached 5");
}

TEST(Canary, NoDataAtLowTrafficFailsTheCheckAsOftenAsPoissonSays) {
  // 1 req/s, canary weight 1% for one 60 s window: P(no request) = e^-0.6 = 0.549.
  auto p = Predict(
      Mesh(CanaryYaml("    interval: 60s\n    threshold: 1\n    maxWeight: 1\n    stepWeight: 1\n"
                      "    metrics: [{name: request-success-rate, thresholdRange: {min: 99}, "
                      "interval: 1m}]\n")),
      R"(  seed: 5
  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 1}]
  defaults: {serviceTime: 1ms}
  canary: {detection: immediate, loadTester: false}
)",
      1000);
  ASSERT_TRUE(p->prepared->ok());
  ExpectShare(p->result.rolled_back, std::exp(-0.6), 1000, "P(no data)");
  ExpectShare(p->result.promoted, 1 - std::exp(-0.6), 1000, "P(data)");
}

TEST(Canary, SuccessRateCheckFailsAsTheBinomialSays) {
  // 60 requests in the window, true error rate 0.2%, 99% floor: P(fail) = 1 - 0.998^60 = 0.113.
  auto p =
      Predict(Mesh(CanaryYaml(
                  "    interval: 60s\n    threshold: 1\n    maxWeight: 100\n    stepWeight: 100\n"
                  "    metrics: [{name: request-success-rate, thresholdRange: {min: 99}, interval: "
                  "1m}]\n")),
              R"(  seed: 8
  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 1, arrival: constant}]
  defaults: {serviceTime: 1ms}
  canary:
    detection: immediate
    loadTester: false
    canary: {errorRate: 0.002}
)",
              1000);
  ASSERT_TRUE(p->prepared->ok());
  ExpectShare(p->result.rolled_back, 1 - std::pow(0.998, 60), 1000, "P(check fails)");
}

// The new revision runs as test/podinfo-v2, which no TrafficTarget opens to the frontend.
std::unique_ptr<Prediction> PredictDenied(const std::string& provider,
                                          const std::string& metrics =
                                              "[{name: request-success-rate, thresholdRange: "
                                              "{min: 99}, interval: 1m}]",
                                          const std::string& extra_manifests = "") {
  std::string canary = CanaryYaml(
      "    interval: 30s\n    threshold: 2\n    maxWeight: 50\n    stepWeight: 10\n"
      "    metrics: " +
      metrics + "\n");
  canary.replace(canary.find("provider: osm"), 13, "provider: " + provider);
  return Predict(Mesh(canary + extra_manifests, "podinfo-v2"),
                 R"(  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 50}]
  canary:
    detection: immediate
    loadTester: false
    primary: {serviceAccount: podinfo}
)",
                 20);
}

// Linkerd (linkerd2-proxy linkerd/app/inbound/src/http/router.rs: the policy layer sits
// outside the metrics stack) and OSM (network RBAC before the HTTP stats filter) never
// record the denied requests: the canary has no data, a failed check, then a rollback.
TEST(Canary, DeniedCanaryHasNoDataUnderLinkerdAndOsmAndRollsBack) {
  for (const std::string provider : {"linkerd", "osm"}) {
    SCOPED_TRACE(provider);
    auto p = PredictDenied(provider);
    ASSERT_TRUE(p->prepared->ok());
    const CanaryPrediction& r = p->result;
    EXPECT_EQ(r.rolled_back.p, 1.0);
    // Wilson intervals at the ends are exact: n of n has high 1, 0 of n low 0 (no rounding
    // residue such as 3.5e-18), and every interval lies in [0, 1] around its estimate.
    EXPECT_EQ(r.rolled_back.high, 1.0);
    EXPECT_EQ(r.promoted.low, 0.0);
    EXPECT_EQ(r.progressing.low, 0.0);
    EXPECT_GT(r.rolled_back.low, 0.5);
    for (const Proportion& x : {r.promoted, r.rolled_back, r.progressing}) {
      EXPECT_LE(0.0, x.low);
      EXPECT_LE(x.low, x.p);
      EXPECT_LE(x.p, x.high);
      EXPECT_LE(x.high, 1.0);
    }
    const CanaryRun& t = r.runs[r.typical];
    EXPECT_EQ(t.timeline[2].checks[0].verdict, "no data");
    EXPECT_EQ(t.timeline[2].events[0],
              "Halt advancement no values found for " + provider +
                  " metric request-success-rate probably podinfo.test is not receiving traffic: "
                  "running query failed: no values found");
    // 10% of 50 req/s from t1 (30 s) to the rollback at t4 (120 s): about 450 denied.
    EXPECT_NEAR(r.failed_user_requests.mean, 450, 60);
    EXPECT_EQ(r.after_promotion.runs, 0U);
    Diagnostics d;
    ReportPromotionDenial(*p->prepared, r, &d);
    EXPECT_TRUE(d.empty());  // rolled back: nothing was promoted
  }
}

// smi:* providers get Flagger's Istio observer (observers/factory.go, default case):
// istio_requests_total{reporter="destination", response_code!~"5.*"} counts a 403 as a
// success, so Flagger promotes; the promoted primary runs as podinfo-v2 and the access
// policy then denies every user request.
TEST(Canary, DeniedCanaryPassesTheIstioObserverIsPromotedAndThenDeniesEveryone) {
  auto p = PredictDenied("smi:v1alpha3:linkerd");
  ASSERT_TRUE(p->prepared->ok());
  const CanaryPrediction& r = p->result;
  EXPECT_EQ(r.promoted.p, 1.0);
  const CanaryRun& t = r.runs[r.typical];
  EXPECT_EQ(t.timeline[2].checks[0].verdict, "pass");
  EXPECT_EQ(*t.timeline[2].checks[0].value, 100.0);
  ASSERT_EQ(r.after_promotion.runs, 20U);
  // All but the requests already on their way when the primary switched identity.
  EXPECT_GT(r.after_promotion.denied_share, 0.999);
  EXPECT_GT(r.after_promotion.denied_user_requests.mean, 1000);
  ASSERT_TRUE(t.promotion_time.has_value());
  // MP7004 names the identity, the TrafficTarget that opens only the old one, and a
  // witness request.
  Diagnostics d;
  ReportPromotionDenial(*p->prepared, r, &d);
  ASSERT_EQ(d.size(), 1U);
  const Diagnostic& f = d.items()[0];
  EXPECT_EQ(f.code, DiagCode::MP7004);
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_NE(f.message.find("runs as test/podinfo-v2, which no TrafficTarget opens to "
                           "test/frontend"),
            std::string::npos)
      << f.message;
  ASSERT_FALSE(f.related.empty());
  EXPECT_EQ(f.related[0].kind, "TrafficTarget");
  ASSERT_TRUE(f.witness.has_value());
  EXPECT_EQ(f.witness->source, "test/frontend");
  EXPECT_EQ(f.witness->destination, "test/podinfo");
  EXPECT_EQ(f.witness->port, 9898);
}

// A MetricTemplate keeps its own query: over istio_requests_total counting 4xx as
// failures it sees the recorded 403s and rolls back; over Linkerd's response_total it
// sees nothing (no data).
TEST(Canary, TemplatesSeeDenialsAsTheirMetricRecordsThem) {
  const std::string tmpl = R"(---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: error-rate, namespace: test}
spec:
  provider: {type: prometheus, address: http://prometheus:9090}
  query: |
    100 - sum(rate(istio_requests_total{reporter="destination",
      destination_workload="{{ target }}", response_code!~"4.*|5.*"}[{{ interval }}]))
    / sum(rate(istio_requests_total{reporter="destination",
      destination_workload="{{ target }}"}[{{ interval }}])) * 100
)";
  auto istio = PredictDenied("smi:v1alpha3:linkerd",
                             "[{name: error-rate, templateRef: {name: error-rate}, "
                             "thresholdRange: {max: 1}, interval: 1m}]",
                             tmpl);
  ASSERT_TRUE(istio->prepared->ok());
  EXPECT_TRUE(istio->prepared->spec.metrics[0].fails_403);
  EXPECT_EQ(istio->result.rolled_back.p, 1.0);
  const CanaryRun& t = istio->result.runs[istio->result.typical];
  EXPECT_EQ(t.timeline[2].checks[0].verdict, "fail");

  std::string linkerd_tmpl = tmpl;
  for (const std::string from : {"istio_requests_total", "istio_requests_total"}) {
    linkerd_tmpl.replace(linkerd_tmpl.find(from), from.size(), "response_total");
  }
  auto linkerd = PredictDenied("smi:v1alpha3:linkerd",
                               "[{name: error-rate, templateRef: {name: error-rate}, "
                               "thresholdRange: {max: 1}, interval: 1m}]",
                               linkerd_tmpl);
  ASSERT_TRUE(linkerd->prepared->ok());
  const CanaryRun& u = linkerd->result.runs[linkerd->result.typical];
  EXPECT_EQ(u.timeline[2].checks[0].verdict, "no data");
  EXPECT_EQ(u.timeline[2].events[0],
            "Halt advancement no values found for custom metric: error-rate: no values found");
}

TEST(Canary, ALoadTesterRescuesALowTrafficCanaryFromNoData) {
  const std::string canary = CanaryYaml(
      "    interval: 30s\n    threshold: 2\n    maxWeight: 50\n    stepWeight: 10\n"
      "    metrics: [{name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}]\n"
      "    webhooks:\n    - {name: load-test, type: rollout, url: "
      "http://flagger-loadtester.test/,\n"
      "       metadata: {cmd: \"hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/\"}}\n");
  const std::string base = R"(  seed: 2
  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 0.05}]
  defaults: {serviceTime: 5ms, concurrency: 8}
)";
  auto with = Predict(Mesh(canary), base + "  canary: {detection: immediate}\n", 100);
  auto without =
      Predict(Mesh(canary), base + "  canary: {detection: immediate, loadTester: false}\n", 100);
  ASSERT_TRUE(with->prepared->ok());
  EXPECT_EQ(with->result.load_test_rate, 20);
  EXPECT_EQ(with->result.promoted.p, 1.0);
  EXPECT_GT(with->result.failed_load_requests.max + with->result.runs[0].load_requests, 1000);
  EXPECT_EQ(without->result.load_test_rate, 0);
  EXPECT_GT(without->result.rolled_back.p, 0.75);  // about 0.86: two no-data checks of five
}

TEST(Canary, SameSeedSameJsonForAnyJobs) {
  const std::string mesh =
      Mesh(CanaryYaml("    interval: 30s\n    threshold: 2\n    maxWeight: 30\n    stepWeight: 10\n"
                      "    metrics: [{name: request-success-rate, thresholdRange: {min: 99}}]\n"));
  const std::string spec =
      R"(  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 20}]
  canary: {canary: {errorRate: 0.005}}
)";
  auto a = Predict(mesh, spec, 30);
  auto b = Predict(mesh, spec, 30);
  SimulationOptions one;
  one.jobs = 1;
  one.replications = 30;
  CanaryPrediction c = PredictCanary(*b->prepared, one);
  RenderContext ctx{"t", "t.yaml", {}, "spec"};
  EXPECT_EQ(CanaryToJson(a->result, ctx).dump(), CanaryToJson(c, ctx).dump());
  EXPECT_EQ(CanaryToText(a->result, ctx), CanaryToText(c, ctx));
}

TEST(Canary, ScenarioProblems) {
  auto p = Predict(
      Mesh(CanaryYaml("    stepWeight: 10\n    mirror: true\n")),
      "  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 1}]\n  canary: {}\n",
      1, true);
  EXPECT_FALSE(p->prepared->ok());
  EXPECT_EQ(p->prepared->diagnostics.Count(DiagCode::MP7001), 1u);
  auto q = Predict(Mesh(CanaryYaml("    stepWeight: 10\n")),
                   "  sources: [{from: test/frontend, to: test/podinfo, port: 9898, rate: 1}]\n"
                   "  canary: {name: test/other}\n",
                   1, true);
  EXPECT_FALSE(q->prepared->ok());
  ASSERT_EQ(q->loaded.diagnostics.Count(DiagCode::MP6002), 1u);
  EXPECT_NE(q->loaded.diagnostics.items()[0].message.find("no Canary test/other"),
            std::string::npos);
}

}  // namespace
}  // namespace meshproof::sim
