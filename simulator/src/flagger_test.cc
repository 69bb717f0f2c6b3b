// The Flagger state machine against docs/reference/canary-and-metrics.md 1.2's timelines, and
// Canary parsing with Flagger's defaults, clamps and the combinations SMI routers mishandle.
#include "meshproof/simulator/flagger.h"

#include <gtest/gtest.h>

namespace meshproof::sim {
namespace {

CanarySpec Spec(int max_weight, int step, int threshold) {
  CanarySpec c;
  c.namespace_ = "test";
  c.name = c.target = c.service = "podinfo";
  c.provider = c.metrics_provider = "linkerd";
  c.interval = 30;
  c.max_weight = max_weight;
  c.step_weight = step;
  c.threshold = threshold;
  CanaryMetric sr;
  sr.name = "request-success-rate";
  sr.min = 99;
  CanaryMetric dur;
  dur.name = "request-duration";
  dur.query = MetricQuery::kLatencyQuantile;
  dur.max = 500;
  c.metrics = {sr, dur};
  c.webhooks = {{"acceptance-test", "pre-rollout", ""}};
  return c;
}

struct Trace {
  std::vector<TickRecord> ticks;
  int checks = 0;  // ticks that ran metric checks
};

// Ticks until done (or 200 ticks); `value(tick, metric)` answers each check.
Trace Drive(FlaggerStateMachine& sm,
            const std::function<MetricReading(int, const CanaryMetric&)>& value) {
  Trace run;
  for (int i = 0; i < 200 && !sm.done(); ++i) {
    bool checked = false;
    TickRecord r = sm.Tick(30.0 * i, [&](const CanaryMetric& m) {
      checked = true;
      return value(i, m);
    });
    if (checked) ++run.checks;
    run.ticks.push_back(std::move(r));
  }
  return run;
}

MetricReading Good(int, const CanaryMetric& m) {
  return {true, m.query == MetricQuery::kLatencyQuantile ? 120.0 : 100.0};
}

TEST(FlaggerStateMachine, HealthyRolloutRunsNChecksAndNPlus3Ticks) {
  FlaggerStateMachine sm(Spec(50, 5, 5));
  Trace run = Drive(sm, Good);
  const int n = 10;
  ASSERT_EQ(sm.phase(), CanaryPhase::kSucceeded);
  EXPECT_EQ(run.checks, n);
  EXPECT_EQ(run.ticks.back().tick, n + 3);  // t0 ... t(n+3)
  EXPECT_EQ(run.ticks[0].phase, CanaryPhase::kProgressing);
  EXPECT_EQ(run.ticks[0].canary_weight, 0);
  EXPECT_EQ(run.ticks[1].canary_weight, 5);
  EXPECT_TRUE(run.ticks[1].checks.empty());  // the first step runs no metric check
  // scheduler.go advanceCanary: "Starting canary analysis" on the first step, then the
  // pre-rollout hooks (scheduler_hooks.go runPreRolloutHooks).
  EXPECT_EQ(run.ticks[1].events[0], "Starting canary analysis for podinfo.test");
  EXPECT_EQ(run.ticks[1].events[1], "Pre-rollout check acceptance-test passed");
  EXPECT_EQ(run.ticks[n].canary_weight, 50);
  EXPECT_EQ(run.ticks[n + 1].phase, CanaryPhase::kPromoting);
  EXPECT_EQ(run.ticks[n + 1].canary_weight, 50);  // traffic stays split until the next tick
  EXPECT_EQ(run.ticks[n + 2].phase, CanaryPhase::kFinalising);
  EXPECT_EQ(run.ticks[n + 2].canary_weight, 0);
  EXPECT_EQ(run.ticks[n + 3].events.back(), "Promotion completed! Scaling down podinfo.test");
  // The tutorial trace's wording (corpus 10, trace 0).
  EXPECT_EQ(run.ticks[0].events[0], "New revision detected! Scaling up podinfo.test");
  EXPECT_EQ(run.ticks[2].events[0], "Advance podinfo.test canary weight 10");
  EXPECT_EQ(run.ticks[n + 1].events[0],
            "Copying podinfo.test template spec to podinfo-primary.test");
}

TEST(FlaggerStateMachine, FailingCanaryRollsBackAtTickThresholdPlus2AndHoldsItsWeight) {
  FlaggerStateMachine sm(Spec(50, 5, 5));
  Trace run = Drive(sm, [](int, const CanaryMetric& m) {
    return MetricReading{true, m.query == MetricQuery::kLatencyQuantile ? 100.0 : 50.0};
  });
  ASSERT_EQ(sm.phase(), CanaryPhase::kFailed);
  EXPECT_EQ(run.ticks.back().tick, 5 + 2);
  for (int t = 1; t <= 6; ++t) EXPECT_EQ(run.ticks[t].canary_weight, 5) << t;  // held while failing
  EXPECT_EQ(run.ticks[6].failed_checks, 5);
  EXPECT_EQ(run.ticks[2].events[0], "Halt podinfo.test advancement success rate 50.00% < 99%");
  EXPECT_EQ(run.ticks[7].events[0], "Rolling back podinfo.test failed checks threshold reached 5");
  EXPECT_EQ(run.ticks[7].events[1], "Canary failed! Scaling down podinfo.test");
  EXPECT_EQ(run.ticks[7].canary_weight, 0);
}

TEST(FlaggerStateMachine, AtMostOneFailedCheckPerTickAndNoResetOnPass) {
  FlaggerStateMachine sm(Spec(50, 5, 3));
  // Both metrics fail on ticks 2 and 4, pass on 3 and from 5 on: failedChecks 1, 1, 2, ...
  Trace run = Drive(sm, [](int tick, const CanaryMetric& m) {
    const bool bad = tick == 2 || tick == 4;
    if (m.query == MetricQuery::kLatencyQuantile) return MetricReading{true, bad ? 900.0 : 100.0};
    return MetricReading{true, bad ? 10.0 : 100.0};
  });
  EXPECT_EQ(run.ticks[2].failed_checks, 1);
  EXPECT_EQ(run.ticks[2].checks.size(), 1u);  // the first failure short-circuits
  EXPECT_EQ(run.ticks[3].failed_checks, 1);   // a pass does not reset it
  EXPECT_EQ(run.ticks[3].canary_weight, 10);
  EXPECT_EQ(run.ticks[4].failed_checks, 2);
  EXPECT_EQ(sm.phase(), CanaryPhase::kSucceeded);
}

TEST(FlaggerStateMachine, NoDataIsAFailedCheck) {
  FlaggerStateMachine sm(Spec(50, 5, 1));
  Trace run = Drive(sm, [](int, const CanaryMetric&) { return MetricReading{}; });
  EXPECT_EQ(sm.phase(), CanaryPhase::kFailed);
  EXPECT_EQ(run.ticks[2].checks[0].verdict, "no data");
  EXPECT_NE(run.ticks[2].events[0].find("no values found"), std::string::npos);
  EXPECT_EQ(run.ticks.back().tick, 3);
}

TEST(FlaggerStateMachine, RequestDurationMessageAndTruncation) {
  FlaggerStateMachine sm(Spec(50, 5, 1));
  Trace run = Drive(sm, [](int, const CanaryMetric& m) {
    return MetricReading{true, m.query == MetricQuery::kLatencyQuantile ? 1200.9 : 100.0};
  });
  // scheduler_metrics.go runBuiltinMetricChecks: both sides as time.Duration with %v.
  EXPECT_EQ(run.ticks[2].events[0], "Halt podinfo.test advancement request duration 1.2s > 500ms");
  EXPECT_EQ(*run.ticks[2].checks[1].value, 1200);  // whole milliseconds, as linkerd.go
}

TEST(FlaggerStateMachine, StepWeightsAndTheirCap) {
  CanarySpec c = Spec(0, 0, 5);
  c.step_weights = {1, 2, 10, 80};
  c.max_weight = 80;
  FlaggerStateMachine sm(c);
  Trace run = Drive(sm, Good);
  std::vector<int> weights;
  for (const auto& t : run.ticks) {
    if (t.phase == CanaryPhase::kProgressing && t.canary_weight > 0)
      weights.push_back(t.canary_weight);
  }
  EXPECT_EQ(weights, (std::vector<int>{1, 2, 10, 80}));
  EXPECT_EQ(run.checks, 4);
  EXPECT_EQ(c.Steps(), 4);
}

TEST(FlaggerStateMachine, StepWeightOvershootsMaxWeight) {
  FlaggerStateMachine sm(Spec(50, 20, 5));  // the docs' example: 20, 40, 60, promote
  Trace run = Drive(sm, Good);
  EXPECT_EQ(run.ticks[1].canary_weight, 20);
  EXPECT_EQ(run.ticks[2].canary_weight, 40);
  EXPECT_EQ(run.ticks[3].canary_weight, 60);
  EXPECT_EQ(run.ticks[4].phase, CanaryPhase::kPromoting);
}

TEST(FlaggerStateMachine, StepWeightPromotionAsInTheUnitTest) {
  // TestScheduler_DeploymentAnalysisPhases: stepWeight 100, stepWeightPromotion 50:
  // Progressing w0 -> w100 -> Promoting -> Promoting w50 -> Finalising -> Succeeded.
  CanarySpec c = Spec(100, 100, 1);
  c.step_weight_promotion = 50;
  FlaggerStateMachine sm(c);
  Trace run = Drive(sm, Good);
  std::vector<std::pair<CanaryPhase, int>> got;
  for (const auto& t : run.ticks) got.emplace_back(t.phase, t.canary_weight);
  const std::vector<std::pair<CanaryPhase, int>> want = {
      {CanaryPhase::kProgressing, 0}, {CanaryPhase::kProgressing, 100},
      {CanaryPhase::kPromoting, 100}, {CanaryPhase::kPromoting, 50},
      {CanaryPhase::kFinalising, 0},  {CanaryPhase::kSucceeded, 0}};
  EXPECT_EQ(got, want);
}

TEST(FlaggerStateMachine, BlueGreenIterationsAndSkipAnalysis) {
  CanarySpec c = Spec(0, 0, 2);
  c.iterations = 3;
  FlaggerStateMachine sm(c);
  Trace run = Drive(sm, Good);
  EXPECT_EQ(run.ticks[1].events.back(), "Advance podinfo.test canary iteration 1/3");
  EXPECT_EQ(run.ticks[3].events.back(), "Advance podinfo.test canary iteration 3/3");
  EXPECT_EQ(run.ticks[3].canary_weight, 0);
  EXPECT_EQ(run.ticks[4].canary_weight, 100);  // all traffic to the canary ...
  EXPECT_EQ(run.ticks[4].phase, CanaryPhase::kProgressing);
  EXPECT_EQ(run.ticks[4].events.back(), "Routing all traffic to canary");
  EXPECT_EQ(run.ticks[5].phase, CanaryPhase::kPromoting);  // ... and promotion a tick later
  EXPECT_EQ(run.ticks[5].checks.size(), 2U);               // gated by that tick's checks
  EXPECT_EQ(sm.phase(), CanaryPhase::kSucceeded);

  CanarySpec skip = Spec(50, 5, 1);
  skip.skip_analysis = true;
  FlaggerStateMachine s2(skip);
  Trace r2 = Drive(s2, [](int, const CanaryMetric&) { return MetricReading{}; });
  EXPECT_EQ(s2.phase(), CanaryPhase::kSucceeded);
  EXPECT_EQ(r2.checks, 0);
  // scheduler.go shouldSkipAnalysis: the tick after detection promotes and succeeds.
  ASSERT_EQ(r2.ticks.size(), 2U);
  EXPECT_EQ(r2.ticks[1].events.back(),
            "Promotion completed! Canary analysis was skipped for podinfo.test");
}

// pkg/controller/scheduler_deployment_test.go TestScheduler_DeploymentBlueGreenAnalysisPhases
// (iterations 1): detect, advance, route traffic to the canary, promoting, finalising,
// succeeded, all Progressing until the promotion.
TEST(FlaggerStateMachine, BlueGreenPhasesAsTheUnitTest) {
  CanarySpec c = Spec(0, 0, 1);
  c.iterations = 1;
  FlaggerStateMachine sm(c);
  Trace run = Drive(sm, Good);
  std::vector<CanaryPhase> got;
  for (const auto& t : run.ticks) got.push_back(t.phase);
  const std::vector<CanaryPhase> want = {CanaryPhase::kProgressing, CanaryPhase::kProgressing,
                                         CanaryPhase::kProgressing, CanaryPhase::kPromoting,
                                         CanaryPhase::kFinalising,  CanaryPhase::kSucceeded};
  EXPECT_EQ(got, want);
  EXPECT_EQ(run.ticks[1].events.back(), "Advance podinfo.test canary iteration 1/1");
  EXPECT_EQ(run.ticks[2].events.back(), "Routing all traffic to canary");
  EXPECT_EQ(run.ticks[3].events.back(),
            "Copying podinfo.test template spec to podinfo-primary.test");
  EXPECT_TRUE(sm.primary_updated());
}

// scheduler.go and scheduler_metrics.go: events about the analysis carry the Canary's
// name (Advance, Halt, Rolling back, Canary failed, primary weight, iteration); events
// about the workload carry the target's (New revision, Starting, Copying, Promotion
// completed, the no-data warnings).
TEST(FlaggerStateMachine, EventsNameTheCanaryOrItsTargetAsFlaggerDoes) {
  CanarySpec c = Spec(10, 5, 1);
  c.name = "podinfo-rollout";
  c.step_weight_promotion = 50;
  FlaggerStateMachine ok(c);
  Trace run = Drive(ok, Good);
  EXPECT_EQ(run.ticks[0].events[0], "New revision detected! Scaling up podinfo.test");
  EXPECT_EQ(run.ticks[1].events[0], "Starting canary analysis for podinfo.test");
  EXPECT_EQ(run.ticks[1].events.back(), "Advance podinfo-rollout.test canary weight 5");
  EXPECT_EQ(run.ticks[3].events[0], "Copying podinfo.test template spec to podinfo-primary.test");
  EXPECT_EQ(run.ticks[4].events[0], "Advance podinfo-rollout.test primary weight 100");
  EXPECT_EQ(run.ticks.back().events.back(), "Promotion completed! Scaling down podinfo.test");

  c.metrics[0].min = 99.9;
  FlaggerStateMachine low(c);
  Trace fail = Drive(low, [](int, const CanaryMetric&) { return MetricReading{true, 99.5}; });
  EXPECT_EQ(fail.ticks[2].events[0],
            "Halt podinfo-rollout.test advancement success rate 99.50% < 99.9%");
  EXPECT_EQ(fail.ticks[3].events[0],
            "Rolling back podinfo-rollout.test failed checks threshold reached 1");
  EXPECT_EQ(fail.ticks[3].events[1], "Canary failed! Scaling down podinfo-rollout.test");
}

// scheduler_metrics.go: runAnalysis runs runBuiltinMetricChecks (builtins and inline
// queries) before runMetricChecks (MetricTemplates), whatever the list order.
TEST(FlaggerStateMachine, BuiltinChecksRunBeforeTemplatesWhateverTheOrder) {
  CanarySpec c = Spec(50, 5, 5);
  CanaryMetric tmpl;
  tmpl.name = "error-rate";
  tmpl.builtin = false;
  tmpl.template_name = "test/error-rate";
  tmpl.query = MetricQuery::kErrorRatePercent;
  tmpl.max = 1;
  CanaryMetric inline_q;
  inline_q.name = "rps";
  inline_q.builtin = false;
  inline_q.inline_query = true;
  inline_q.query = MetricQuery::kRequestRate;
  inline_q.min = 1;
  c.metrics = {tmpl, c.metrics[1], inline_q, c.metrics[0]};
  FlaggerStateMachine sm(c);
  std::vector<std::string> asked;
  sm.Tick(0, [&](const CanaryMetric& m) { return Good(0, m); });
  sm.Tick(30, [&](const CanaryMetric& m) { return Good(0, m); });
  TickRecord r = sm.Tick(60, [&](const CanaryMetric& m) {
    asked.push_back(m.name);
    return MetricReading{true, m.query == MetricQuery::kLatencyQuantile ? 120.0 : 100.0};
  });
  EXPECT_EQ(asked, (std::vector<std::string>{"request-duration", "rps", "request-success-rate",
                                             "error-rate"}));
  // The template fails (100% > 1) only after every builtin passed.
  EXPECT_EQ(r.events[0], "Halt podinfo.test advancement error-rate 100.00 > 1");
}

// The no-data wording differs per kind of metric (scheduler_metrics.go).
TEST(FlaggerStateMachine, NoDataEventsWordedPerKindOfMetric) {
  CanarySpec c = Spec(50, 5, 5);
  c.metrics_provider = "osm";
  CanaryMetric tmpl;
  tmpl.name = "not-found-percentage";
  tmpl.builtin = false;
  tmpl.template_name = "test/nf";
  tmpl.max = 5;
  CanaryMetric inline_q = tmpl;
  inline_q.name = "rps";
  inline_q.inline_query = true;
  const std::vector<std::pair<CanaryMetric, std::string>> cases = {
      {c.metrics[0],
       "Halt advancement no values found for osm metric request-success-rate probably "
       "podinfo.test is not receiving traffic: running query failed: no values found"},
      {c.metrics[1],
       "Halt advancement no values found for osm metric request-duration probably podinfo.test "
       "is not receiving traffic"},
      {inline_q, "Halt advancement no values found for metric: rps"},
      {tmpl,
       "Halt advancement no values found for custom metric: not-found-percentage: no values "
       "found"}};
  for (const auto& [metric, text] : cases) {
    CanarySpec one = c;
    one.metrics = {metric};
    FlaggerStateMachine sm(one);
    Trace run = Drive(sm, [](int, const CanaryMetric&) { return MetricReading{}; });
    EXPECT_EQ(run.ticks[2].events[0], text);
  }
}

// Go's time.Duration.String (src/time/time.go) and %v of a float64 (strconv.FormatFloat
// 'g' with the shortest precision), as scheduler_metrics.go prints thresholds and values.
TEST(GoFormatting, DurationsAndFloatsAsGoPrintsThem) {
  EXPECT_EQ(GoDurationString(0), "0s");
  EXPECT_EQ(GoDurationString(99'000'000), "99ms");
  EXPECT_EQ(GoDurationString(1'200'000'000), "1.2s");
  EXPECT_EQ(GoDurationString(500'000'000), "500ms");
  EXPECT_EQ(GoDurationString(90'000'000'000), "1m30s");
  EXPECT_EQ(GoDurationString(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(GoDurationString(1'500), "1.5\u00b5s");
  EXPECT_EQ(GoDurationString(12), "12ns");
  EXPECT_EQ(GoFloatString(99), "99");
  EXPECT_EQ(GoFloatString(99.5), "99.5");
  EXPECT_EQ(GoFloatString(0.1), "0.1");
  EXPECT_EQ(GoFloatString(99.123456789), "99.123456789");
  EXPECT_EQ(GoFloatString(1e6), "1e+06");
  EXPECT_EQ(GoFloatString(123456), "123456");
  EXPECT_EQ(GoFloatString(0.00001), "1e-05");
  EXPECT_EQ(GoFloatString(-2.5), "-2.5");
}

TEST(FlaggerStateMachine, NoStepWeightNeverAdvances) {
  CanarySpec c = Spec(50, 0, 1);
  FlaggerStateMachine sm(c);
  for (int i = 0; i < 20; ++i) sm.Tick(30.0 * i, [](const CanaryMetric& m) { return Good(0, m); });
  EXPECT_EQ(sm.phase(), CanaryPhase::kProgressing);
  EXPECT_EQ(sm.canary_weight(), 0);
}

// --- parsing ----------------------------------------------------------------------------

std::vector<CanarySpec> Parse(const std::string& yaml, Diagnostics* d,
                              const std::string& provider = "linkerd") {
  SourceSet sources;
  sources.Add("c.yaml", yaml);
  return ParseCanaries(sources, provider, "default", d);
}

const std::string kCanary = R"(apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 80, targetPort: 9898}
  analysis:
)";

TEST(CanaryParse, DefaultsAndClamps) {
  Diagnostics d;
  auto cs = Parse(kCanary + "    interval: 5s\n    threshold: 0\n    stepWeight: 10\n", &d);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].interval, 10);  // clamped
  EXPECT_EQ(cs[0].threshold, 1);
  EXPECT_EQ(cs[0].max_weight, 100);
  EXPECT_EQ(cs[0].provider, "linkerd");
  EXPECT_EQ(cs[0].target_port, 9898);
  EXPECT_EQ(d.Count(DiagCode::MP7003), 2u);
  Diagnostics d2;
  auto c2 =
      Parse(kCanary + "    stepWeight: 10\n    stepWeights: [5, 30, 60]\n    maxWeight: 90\n", &d2);
  EXPECT_EQ(c2[0].max_weight, 60);  // the cap comes from stepWeights even with stepWeight set
  EXPECT_EQ(c2[0].NextStep(0), 10);
  Diagnostics d3;
  auto c3 = Parse(kCanary +
                      "    interval: 1m30s\n    stepWeight: 10\n    metrics:\n"
                      "    - {name: request-success-rate, threshold: 99}\n",
                  &d3);
  EXPECT_EQ(c3[0].interval, 90);
  EXPECT_EQ(*c3[0].metrics[0].min, 99);  // deprecated scalar: a minimum for success rate
  EXPECT_EQ(c3[0].metrics[0].interval, 60);
}

// Numbers no int holds (a fuzzer's find: a 65-digit port) are clamped, and .nan is left
// out, never converted out of range.
TEST(CanaryParse, HugeAndNanNumbersAreClampedOrIgnored) {
  Diagnostics d;
  std::string canary = kCanary;
  canary.replace(canary.find("port: 80"), 8, "port: 98333333333333333333333333333333333333398");
  auto cs =
      Parse(canary + "    stepWeight: 1e300\n    threshold: .nan\n    iterations: -1e30\n", &d);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].port, 1000000000);
  EXPECT_EQ(cs[0].step_weight, 1000000000);
  EXPECT_EQ(cs[0].threshold, 1);  // .nan: not a number, so the default
  EXPECT_EQ(cs[0].iterations, -1000000000);
}

TEST(CanaryParse, CombinationsSmiRoutersMishandleAreMP7001) {
  Diagnostics d;
  Parse(kCanary + "    stepWeight: 10\n    mirror: true\n", &d);
  ASSERT_EQ(d.Count(DiagCode::MP7001), 1u);
  EXPECT_NE(d.items()[0].message.find("never advances"), std::string::npos);
  Diagnostics d2;
  Parse(kCanary + "    iterations: 10\n    match: [{headers: {x-canary: {exact: insider}}}]\n",
        &d2);
  ASSERT_EQ(d2.Count(DiagCode::MP7001), 1u);
  EXPECT_NE(d2.items()[0].message.find("all traffic"), std::string::npos);
  Diagnostics d3;
  Parse(kCanary + "    stepWeight: 10\n", &d3, "istio");
  EXPECT_EQ(d3.Count(DiagCode::MP7001), 1u);
  Diagnostics d4;
  Parse(kCanary + "    stepWeight: 10\n", &d4, "smi:v1alpha3:osm");
  EXPECT_EQ(d4.Count(DiagCode::MP7001), 0u);
}

TEST(CanaryParse, MetricTemplatesTheSimulatorCanAndCannotAnswer) {
  const std::string templates = R"(apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: latency, namespace: test}
spec:
  query: histogram_quantile(0.95, sum(rate(response_latency_ms_bucket{deployment=~"{{ target }}"}[{{ interval }}])) by (le))
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: not-found, namespace: test}
spec:
  query: 100 - sum(rate(http_requests_total{status!="404"}[1m])) / sum(rate(http_requests_total[1m])) * 100
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: errors, namespace: test}
spec:
  query: sum(rate(osm_request_total{response_code=~"5.*"}[1m])) / sum(rate(osm_request_total[1m])) * 100
---
)";
  Diagnostics d;
  auto cs = Parse(templates + kCanary + R"(    stepWeight: 10
    metrics:
    - {name: p95, templateRef: {name: latency}, threshold: 300}
    - {name: 404s, templateRef: {name: not-found}, thresholdRange: {max: 5}}
    - {name: errors, templateRef: {name: errors, namespace: test}, thresholdRange: {max: 1}}
    - {name: missing, templateRef: {name: nowhere}}
)",
                  &d);
  ASSERT_EQ(cs.size(), 1u);
  ASSERT_EQ(cs[0].metrics.size(), 2u);
  EXPECT_EQ(cs[0].metrics[0].query, MetricQuery::kLatencyQuantile);
  EXPECT_DOUBLE_EQ(cs[0].metrics[0].quantile, 0.95);
  EXPECT_EQ(*cs[0].metrics[0].max, 300);  // scalar threshold of a template: a maximum
  EXPECT_EQ(cs[0].metrics[1].query, MetricQuery::kErrorRatePercent);
  EXPECT_EQ(d.Count(DiagCode::MP7002), 2u);
}

TEST(CanaryParse, LoadTesterRateFromTheRolloutWebhook) {
  Diagnostics d;
  auto cs = Parse(kCanary + R"(    stepWeight: 10
    webhooks:
    - name: load-test
      url: http://flagger-loadtester.test/
      metadata: {cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test/"}
)",
                  &d);
  ASSERT_TRUE(cs[0].load_test_rate.has_value());
  EXPECT_DOUBLE_EQ(*cs[0].load_test_rate, 20);
  EXPECT_EQ(*ParseGoDuration("1m30s"), 90);
  EXPECT_EQ(*ParseGoDuration("250ms"), 0.25);
  EXPECT_FALSE(ParseGoDuration("soon").has_value());
}

}  // namespace
}  // namespace meshproof::sim
