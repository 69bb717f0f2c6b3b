// Corpus: the Flagger canaries of ../shared/corpus/flagger-canaries (real manifests from
// fluxcd/flagger) load and run. Each SMI canary is put on a minimal mesh around its target
// (the Deployment, the callers' identities, a TrafficTarget) and predicted with healthy
// revisions; the Istio A/B canary is rejected (MP7001) as the SMI routers would mishandle it.
//
// Exit code 77 (ctest: skipped) with a plain message when the corpus is absent.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/canary_checks.h"

namespace meshproof::sim {
namespace {

namespace fs = std::filesystem;
const fs::path kCorpus = fs::path(MESHPROOF_CORPUS) / "flagger-canaries";

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MeshAround(const CanarySpec& c) {
  const std::string ns = c.namespace_, t = c.target;
  std::ostringstream y;
  y << "apiVersion: v1\nkind: Namespace\nmetadata: {name: " << ns << "}\n";
  for (const char* sa : {t.c_str(), "frontend", "flagger-loadtester"}) {
    y << "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " << sa
      << ", namespace: " << ns << "}\n";
  }
  const int port = c.target_port > 0 ? c.target_port : 9898;
  y << "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " << t << ", namespace: " << ns
    << "}\nspec:\n  replicas: 2\n  template:\n    metadata: {labels: {app: " << t
    << "}}\n    spec:\n      serviceAccountName: " << t
    << "\n      containers: [{name: app, ports: [{name: "
    << (c.target_port_name.empty() ? "http" : c.target_port_name) << ", containerPort: " << port
    << "}]}]\n";
  y << "---\napiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata: {name: all, "
       "namespace: "
    << ns << "}\nspec:\n  matches: [{name: any, pathRegex: \"/.*\", methods: [\"*\"]}]\n";
  y << "---\napiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: {name: " << t
    << ", namespace: " << ns << "}\nspec:\n  destination: {kind: ServiceAccount, name: " << t
    << ", namespace: " << ns
    << "}\n  rules: [{kind: HTTPRouteGroup, name: all}]\n  sources:\n  - {kind: ServiceAccount, "
       "name: frontend, "
       "namespace: "
    << ns << "}\n  - {kind: ServiceAccount, name: flagger-loadtester, namespace: " << ns << "}\n";
  return y.str();
}

TEST(FlaggerCorpus, EveryCanaryLoadsAndRuns) {
  int predicted = 0, rejected = 0;
  for (const auto& e : fs::directory_iterator(kCorpus)) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().filename().string());
    SourceSet sources;
    sources.Add(e.path().string(), Read(e.path()));
    Diagnostics diags;
    const std::vector<CanarySpec> specs = ParseCanaries(sources, "linkerd", "default", &diags);
    ASSERT_FALSE(specs.empty());
    for (const CanarySpec& spec : specs) {
      SCOPED_TRACE(spec.name);
      bool has_error = false;
      for (const Diagnostic& d : diags.items()) {
        if (d.severity == Severity::kError && d.resource && d.resource->name == spec.name)
          has_error = true;
      }
      if (has_error) {
        // Only the Istio A/B canary (match + iterations, provider istio) is refused.
        EXPECT_NE(e.path().filename().string().find("istio-abtest"), std::string::npos)
            << diags.items()[0].message;
        EXPECT_GE(diags.Count(DiagCode::MP7001), 1u);
        ++rejected;
        continue;
      }
      const fs::path dir =
          fs::temp_directory_path() / ("meshproof-corpus-" + std::to_string(::getpid()));
      fs::remove_all(dir);
      fs::create_directories(dir / "mesh");
      fs::copy_file(e.path(), dir / "mesh" / "canary.yaml");
      std::ofstream(dir / "mesh" / "mesh.yaml") << MeshAround(spec);
      LoadedScenario loaded = LoadScenarioText(
          "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nspec:\n  mesh: [mesh]\n  sources:\n "
          " - {from: " +
              spec.namespace_ + "/frontend, to: " + spec.namespace_ + "/" + spec.service +
              ", port: " + std::to_string(spec.port) +
              ", rate: 20}\n  defaults: {concurrency: 8, serviceTime: 5ms}\n  canary: {name: " +
              spec.namespace_ + "/" + spec.name + "}\n",
          "s.yaml", dir.string());
      std::unique_ptr<PreparedCanary> p = PrepareCanary(&loaded);
      fs::remove_all(dir);
      for (const Diagnostic& d : loaded.diagnostics.items()) ADD_FAILURE() << d.message;
      ASSERT_TRUE(p->ok());
      SimulationOptions o;
      o.replications = 10;
      o.jobs = 2;
      CanaryPrediction r = PredictCanary(*p, o);
      // Healthy revisions and steady traffic: every rollout is promoted, after n metric checks.
      EXPECT_EQ(r.promoted.p, 1.0);
      const CanaryRun& t = r.runs[r.typical];
      int checks = 0;
      for (const TickRecord& tick : t.timeline) checks += tick.checks.empty() ? 0 : 1;
      EXPECT_EQ(checks, spec.metrics.empty() ? 0 : spec.Steps()) << "ticks " << t.timeline.size();
      ++predicted;
    }
  }
  EXPECT_GE(predicted, 9);
  EXPECT_EQ(rejected, 1);
}

// Flagger's OSM tutorial (docs/gitbook/tutorials/osm-progressive-delivery.md): the Canary
// of 06 with the podinfo and load tester workloads of its kustomize bases, in namespace
// test, no ServiceAccounts and no TrafficTargets. The tutorial installs OSM with
// enablePermissiveTrafficPolicy=true and shows the canary promoted; enforced policy
// denies the load tester (OSM records no denial: no data) and Flagger rolls back.
CanaryPrediction PredictOsmTutorial(bool permissive) {
  const fs::path w = fs::path(MESHPROOF_CORPUS) / "flagger-workloads";
  LoadedScenario loaded = LoadScenarioText(
      "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: osm-tutorial}\n"
      "spec:\n  mesh: [" +
          (kCorpus / "06-osm-tutorial-canary.yaml").string() + ", " +
          (w / "podinfo-deployment.yaml").string() + ", " +
          (w / "tester-deployment.yaml").string() + ", " + (w / "tester-service.yaml").string() +
          "]\n  namespace: test\n  profile: osm\n  permissive: " + (permissive ? "true" : "false") +
          "\n  defaults: {concurrency: 16, serviceTime: 5ms}\n"
          "  canary: {name: test/podinfo, provider: osm, loadTester: {from: test/default}}\n",
      "osm-tutorial.yaml", ".");
  std::unique_ptr<PreparedCanary> p = PrepareCanary(&loaded);
  for (const Diagnostic& d : loaded.diagnostics.items()) ADD_FAILURE() << d.message;
  if (!p->ok()) return {};
  SimulationOptions o;
  o.replications = 10;
  o.jobs = 2;
  return PredictCanary(*p, o);
}

TEST(FlaggerCorpus, OsmTutorialPromotesUnderPermissiveMode) {
  const CanaryPrediction r = PredictOsmTutorial(true);
  ASSERT_EQ(r.runs.size(), 10u);
  EXPECT_EQ(r.promoted.p, 1.0);
  const CanaryRun& t = r.runs[r.typical];
  std::vector<std::string> events;
  for (const TickRecord& tick : t.timeline)
    events.insert(events.end(), tick.events.begin(), tick.events.end());
  // The tutorial's trace: ten steps of 5 up to maxWeight 50, then the promotion.
  EXPECT_NE(std::find(events.begin(), events.end(), "Advance podinfo.test canary weight 50"),
            events.end());
  EXPECT_NE(std::find(events.begin(), events.end(),
                      "Copying podinfo.test template spec to podinfo-primary.test"),
            events.end());
  EXPECT_EQ(events.back(), "Promotion completed! Scaling down podinfo.test");
  EXPECT_EQ(r.failed_load_requests.max, 0);
}

TEST(FlaggerCorpus, OsmTutorialRollsBackUnderEnforcedPolicy) {
  const CanaryPrediction r = PredictOsmTutorial(false);
  ASSERT_EQ(r.runs.size(), 10u);
  EXPECT_EQ(r.rolled_back.p, 1.0);
  EXPECT_GT(r.failed_load_requests.min, 0);  // every load-test request is denied
}

// verify on the same manifests: under enforced policy the tutorial's Canary is an error
// before any rollout (OSM records no denial: Flagger rolls back on no data); under
// permissive mode, as the tutorial installs OSM, there is nothing to report.
TEST(FlaggerCorpus, OsmTutorialVerifiesCleanOnlyUnderPermissiveMode) {
  const fs::path w = fs::path(MESHPROOF_CORPUS) / "flagger-workloads";
  LoadOptions lo;
  lo.default_namespace = "test";
  const LoadResult r =
      LoadPaths({(kCorpus / "06-osm-tutorial-canary.yaml").string(),
                 (w / "podinfo-deployment.yaml").string(), (w / "tester-deployment.yaml").string()},
                lo);
  Diagnostics enforced, permissive;
  CheckCanaries(r, GetProfile(ProfileId::kOsm), "test", &enforced);
  CheckCanaries(r, GetProfile(ProfileId::kOsm, true), "test", &permissive);
  ASSERT_EQ(enforced.size(), 1u);
  EXPECT_EQ(enforced.items()[0].code, DiagCode::MP7005);
  EXPECT_NE(enforced.items()[0].message.find("--permissive"), std::string::npos);
  EXPECT_TRUE(permissive.empty()) << permissive.items()[0].message;
}

}  // namespace
}  // namespace meshproof::sim

int main(int argc, char** argv) {
  if (!std::filesystem::is_directory(meshproof::sim::kCorpus)) {
    std::cout << "canary corpus tests did not run: " << meshproof::sim::kCorpus.string()
              << " not found (it exists in CI; a plain clone has no ../shared/corpus)\n";
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
