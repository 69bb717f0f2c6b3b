#include "meshproof/simulator/scenario.h"

#include <gtest/gtest.h>

#include "meshproof/simulator/simulation.h"

namespace meshproof::sim {
namespace {

const std::string kDir = std::string(MESHPROOF_SOURCE_DIR) + "/scenarios/validation";

std::string Head(const std::string& spec_body) {
  return "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  mesh: "
         "[mesh]\n" +
         spec_body;
}

const Diagnostic* Find(const Diagnostics& d, DiagCode code, const std::string& needle) {
  for (const Diagnostic& x : d.items()) {
    if (x.code == code && x.message.find(needle) != std::string::npos) return &x;
  }
  return nullptr;
}

TEST(Scenario, ParsesEveryField) {
  LoadedScenario s = LoadScenarioText(Head(R"(  profile: osm
  permissive: true
  seed: 7
  duration: 2m
  warmup: 500ms
  window: 10s
  replications: 3
  network: {latency: {distribution: lognormal, median: 1ms, p99: 5ms}}
  loadBalancing: least-request
  defaults: {concurrency: 2, serviceTime: 20ms}
  sources:
  - name: users
    from: queue/client
    to: queue/node-a
    port: 80
    arrival: constant
    schedule: [{at: 0s, rate: 10}, {at: 60s, rate: 30}]
    mix:
    - {weight: 3, method: GET, path: /a, headers: {x-user: alice}}
    - {weight: 1, method: POST, path: /b}
  workloads:
  - workload: queue/node-a
    replicas: 3
    queueCapacity: 5
    discipline: ps
    errorRate: 0.01
    serviceTime: {distribution: empirical, buckets: [{le: 5ms, weight: 1}, {le: 50ms, weight: 3}]}
    calls: [{to: queue/node-b, probability: 0.5, count: 2, method: PUT, path: /x, required: false}]
  routes:
  - service: queue/node-a
    timeout: 1s
    loadBalancing: random
    retries: {attempts: 2, perTryTimeout: 300ms, retryOn: [gateway-error, connect-failure], backoff: 10ms}
)"),
                                      "s.yaml", kDir);
  EXPECT_FALSE(s.HasErrors());
  for (const auto& d : s.diagnostics.items()) ADD_FAILURE() << d.message;
  const Scenario& sc = s.scenario;
  EXPECT_EQ(sc.profile, "osm");
  EXPECT_TRUE(sc.permissive);
  EXPECT_EQ(sc.seed, 7u);
  EXPECT_DOUBLE_EQ(sc.duration, 120);
  EXPECT_DOUBLE_EQ(sc.warmup, 0.5);
  EXPECT_EQ(sc.replications, 3);
  EXPECT_EQ(sc.balancing, Balancing::kLeastRequest);
  EXPECT_EQ(*sc.defaults.concurrency, 2);
  ASSERT_EQ(sc.sources.size(), 1u);
  EXPECT_EQ(sc.sources[0].arrival, ArrivalProcess::kConstant);
  ASSERT_EQ(sc.sources[0].schedule.size(), 2u);
  EXPECT_DOUBLE_EQ(sc.sources[0].schedule[1].rate, 30);
  ASSERT_EQ(sc.sources[0].mix.size(), 2u);
  EXPECT_EQ(sc.sources[0].mix[0].headers[0].second, "alice");
  ASSERT_EQ(sc.workloads.size(), 1u);
  const Behaviour& b = sc.workloads[0].behaviour;
  EXPECT_EQ(*b.discipline, Discipline::kProcessorSharing);
  EXPECT_EQ(b.service_time->kind(), Distribution::Kind::kEmpirical);
  ASSERT_EQ(b.calls.size(), 1u);
  EXPECT_EQ(b.calls[0].count, 2);
  EXPECT_FALSE(b.calls[0].required);
  ASSERT_EQ(sc.routes.size(), 1u);
  EXPECT_EQ(sc.routes[0].retry.retries, 2);
  EXPECT_FALSE(sc.routes[0].retry.on_5xx);
  EXPECT_TRUE(sc.routes[0].retry.on_gateway_error);
  EXPECT_TRUE(sc.routes[0].retry.on_connect_failure);
  EXPECT_DOUBLE_EQ(sc.routes[0].retry.backoff_max, 0.1);
  EXPECT_FALSE(s.mesh.model.services.empty());
}

TEST(Scenario, PermissiveIsOffUnlessSaidAndMustBeABoolean) {
  LoadedScenario plain = LoadScenarioText(Head(""), "s.yaml", kDir);
  EXPECT_FALSE(plain.scenario.permissive);
  LoadedScenario bad = LoadScenarioText(Head("  permissive: 1\n"), "s.yaml", kDir);
  EXPECT_NE(Find(bad.diagnostics, DiagCode::MP6001, "true or false"), nullptr);
}

TEST(Scenario, ErrorsSayWhereWhatWasExpectedAndWhatWasFound) {
  LoadedScenario s = LoadScenarioText(Head(R"(  duration: soon
  replications: 0
  sources:
  - from: queue/client
    to: node-a
    rate: fast
    colour: blue
  workloads:
  - workload: queue/node-a
    serviceTime: {distribution: gamma, mean: 1ms}
    discipline: lifo
)"),
                                      "s.yaml", kDir);
  EXPECT_TRUE(s.HasErrors());
  const Diagnostic* d = Find(s.diagnostics, DiagCode::MP6001, "spec.duration");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->location.line, 6u);
  EXPECT_NE(d->message.find("found a string 'soon'"), std::string::npos) << d->message;
  d = Find(s.diagnostics, DiagCode::MP6001, "spec.replications");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("in [1, 100000], found 0"), std::string::npos) << d->message;
  d = Find(s.diagnostics, DiagCode::MP6001, "spec.sources[0].to");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("namespace/name, found 'node-a'"), std::string::npos) << d->message;
  d = Find(s.diagnostics, DiagCode::MP6001, "spec.sources[0].rate");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->location.line, 11u);
  EXPECT_EQ(d->location.column, 11u);
  d = Find(s.diagnostics, DiagCode::MP6001, "unknown field 'colour'");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("expected one of: name, from, to"), std::string::npos);
  EXPECT_NE(Find(s.diagnostics, DiagCode::MP6001, "found 'gamma'"), nullptr);
  EXPECT_NE(Find(s.diagnostics, DiagCode::MP6001, "expected fifo or ps, found 'lifo'"), nullptr);
}

TEST(Scenario, StructuralMistakes) {
  Diagnostics d;
  ParseScenario("kind: Scenario\nspec: {sources: []}\n", 0, ".", &d);
  EXPECT_NE(Find(d, DiagCode::MP6001, "missing `mesh:`"), nullptr);
  Diagnostics d2;
  ParseScenario("kind: [oops\n", 0, ".", &d2);
  EXPECT_NE(Find(d2, DiagCode::MP6001, "not valid YAML"), nullptr);
  Diagnostics d3;
  ParseScenario(
      Head("  sources:\n  - {from: a/b, to: c/d, rate: 1, schedule: [{at: 0, rate: 2}]}\n"), 0, ".",
      &d3);
  EXPECT_NE(Find(d3, DiagCode::MP6001, "either `rate:` or `schedule:`"), nullptr);
  Diagnostics d4;
  ParseScenario(Head("  duration: 10s\n  warmup: 20s\n  sources: []\n"), 0, ".", &d4);
  EXPECT_NE(Find(d4, DiagCode::MP6001, "warm-up must be shorter"), nullptr);
  Diagnostics d5;
  ParseScenario(Head("  sources: []\n  workloads:\n  - workload: a/b\n    next: [{to: a/c, "
                     "probability: 0.7}, {to: a/d, "
                     "probability: 0.6}]\n"),
                0, ".", &d5);
  EXPECT_NE(Find(d5, DiagCode::MP6001, "sum to at most 1"), nullptr);
}

TEST(Scenario, ReferencesTheMeshDoesNotHaveAreMP6002) {
  LoadedScenario s = LoadScenarioText(Head(R"(  sources:
  - {from: queue/nobody, to: queue/node-a, rate: 1}
  - {from: queue/client, to: queue/missing, rate: 1}
  - {from: queue/client, to: queue/node-a, port: 81, rate: 1}
  workloads:
  - {workload: queue/ghost, replicas: 2}
  routes:
  - {service: queue/elsewhere, timeout: 1s}
)"),
                                      "s.yaml", kDir);
  EXPECT_FALSE(s.HasErrors());
  PreparedScenario p = PrepareScenario(&s);
  EXPECT_EQ(p.simulator, nullptr);
  EXPECT_NE(Find(s.diagnostics, DiagCode::MP6002, "no identity queue/nobody"), nullptr);
  EXPECT_NE(Find(s.diagnostics, DiagCode::MP6002, "no Service queue/missing"), nullptr);
  const Diagnostic* d = Find(s.diagnostics, DiagCode::MP6002, "has no port 81 (it has: 80)");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->location.line, 9u);  // the source that names the port
  EXPECT_NE(Find(s.diagnostics, DiagCode::MP6002, "no workload queue/ghost"), nullptr);
  EXPECT_NE(Find(s.diagnostics, DiagCode::MP6002, "no Service queue/elsewhere"), nullptr);
}

TEST(Scenario, UnreadableFileIsAFailureNotADiagnostic) {
  LoadedScenario s = LoadScenario("/nonexistent/scenario.yaml");
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.HasErrors());
}

TEST(Scenario, Durations) {
  EXPECT_DOUBLE_EQ(*ParseDuration("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseDuration("2m"), 120);
  EXPECT_DOUBLE_EQ(*ParseDuration("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(*ParseDuration("500us"), 5e-4);
  EXPECT_FALSE(ParseDuration("5 parsecs").has_value());
  EXPECT_FALSE(ParseDuration("").has_value());
}

}  // namespace
}  // namespace meshproof::sim
