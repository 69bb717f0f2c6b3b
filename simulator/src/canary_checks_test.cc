// verify's Flagger checks (canary_checks.h) on manifests alone: what Flagger will do with a
// Canary whose identity the access policy keeps from its Service's callers, per provider,
// and which of the Canary findings belong to verify at all.
#include "meshproof/simulator/canary_checks.h"

#include <gtest/gtest.h>

namespace meshproof::sim {
namespace {

// podinfo behind Flagger in namespace test (as scenarios/canary-denied): the frontend and
// the load tester call it; `sa` is the ServiceAccount the new revision runs as, and the
// TrafficTarget opens test/podinfo to both callers.
std::string Mesh(const std::string& sa, const std::string& canary_spec,
                 const std::string& extra = "") {
  return R"(apiVersion: v1
kind: Namespace
metadata: {name: test}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: test}
spec:
  template:
    metadata: {labels: {app: frontend}}
    spec: {serviceAccountName: frontend, containers: [{name: app}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: flagger-loadtester, namespace: test}
spec:
  template:
    metadata: {labels: {app: flagger-loadtester}}
    spec: {serviceAccountName: flagger-loadtester, containers: [{name: app}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: test}
spec:
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      serviceAccountName: )" +
         sa + R"(
      containers: [{name: podinfod, ports: [{name: http, containerPort: 9898}]}]
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: podinfo-routes, namespace: test}
spec:
  matches: [{name: everything, pathRegex: "/.*", methods: ["*"]}]
---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: podinfo, namespace: test}
spec:
  destination: {kind: ServiceAccount, name: podinfo, namespace: test}
  rules: [{kind: HTTPRouteGroup, name: podinfo-routes}]
  sources:
  - {kind: ServiceAccount, name: frontend, namespace: test}
  - {kind: ServiceAccount, name: flagger-loadtester, namespace: test}
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
)" + canary_spec +
         extra;
}

const std::string kOsm = R"(  provider: osm
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis:
    interval: 30s
    threshold: 5
    maxWeight: 50
    stepWeight: 5
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
    - {name: request-duration, thresholdRange: {max: 500}, interval: 30s}
)";

std::string WithProvider(const std::string& provider) {
  std::string s = kOsm;
  s.replace(s.find("osm"), 3, provider);
  return s;
}

Diagnostics Check(const std::string& yaml, ProfileId profile = ProfileId::kSpec,
                  bool permissive = false, LoadResult* keep = nullptr) {
  LoadResult r = LoadTexts({{"mesh.yaml", yaml}}, {});
  Diagnostics d;
  CheckCanaries(r, GetProfile(profile, permissive), "default", &d);
  if (keep != nullptr) *keep = std::move(r);
  return d;
}

const Diagnostic* Find(const Diagnostics& d, DiagCode code) {
  for (const Diagnostic& x : d.items()) {
    if (x.code == code) return &x;
  }
  return nullptr;
}

bool HasRelated(const Diagnostic& d, const std::string& kind, const std::string& name) {
  for (const ObjectRef& r : d.related) {
    if (r.kind == kind && r.name == name) return true;
  }
  return false;
}

// The witness must be a request the compiled policy denies to the canary's identity.
void ExpectDeniedWitness(const Diagnostic& d, const LoadResult& r, const std::string& canary_sa) {
  ASSERT_TRUE(d.witness.has_value());
  EXPECT_EQ(d.witness->destination, "test/podinfo");
  EXPECT_EQ(d.witness->port, 9898);
  const RouteGraph g = CompileGraph(r.model, GetProfile(ProfileId::kSpec));
  const auto slash = d.witness->source.find('/');
  const IdentityId from =
      g.FindIdentity(d.witness->source.substr(0, slash), d.witness->source.substr(slash + 1));
  const IdentityId to = g.FindIdentity("test", canary_sa);
  ASSERT_NE(from, kNoId);
  ASSERT_NE(to, kNoId);
  EXPECT_EQ(g.Access(from, to, 9898, PortProtocol::kHttp).level, PortAccess::Level::kNone);
}

TEST(CanaryChecks, OsmCanaryDeniedToEveryoneRollsBackOnNoData) {
  LoadResult r;
  const Diagnostics d = Check(Mesh("podinfo-v2", kOsm), ProfileId::kSpec, false, &r);
  ASSERT_EQ(d.size(), 1u) << d.items()[0].message;
  const Diagnostic& f = d.items()[0];
  EXPECT_EQ(f.code, DiagCode::MP7005);
  EXPECT_EQ(f.severity, Severity::kError);
  ASSERT_TRUE(f.resource.has_value());
  EXPECT_EQ(f.resource->kind, "Canary");
  // What Flagger does under osm: OSM records no denied request, so no values are found.
  EXPECT_NE(f.message.find("Flagger will roll back Canary test/podinfo"), std::string::npos);
  EXPECT_NE(f.message.find("runs as test/podinfo-v2, which no TrafficTarget opens to any caller"),
            std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("TrafficTarget test/podinfo opens test/podinfo, which no workload runs"),
            std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("no values found"), std::string::npos);
  EXPECT_NE(f.message.find("threshold (5)"), std::string::npos);
  EXPECT_TRUE(HasRelated(f, "TrafficTarget", "podinfo"));
  EXPECT_TRUE(HasRelated(f, "Deployment", "podinfo"));
  ExpectDeniedWitness(f, r, "podinfo-v2");
}

TEST(CanaryChecks, LinkerdProviderAlsoSeesNoData) {
  const Diagnostics d = Check(Mesh("podinfo-v2", WithProvider("linkerd")));
  ASSERT_NE(Find(d, DiagCode::MP7005), nullptr);
  EXPECT_NE(Find(d, DiagCode::MP7005)->message.find("provider linkerd"), std::string::npos);
}

TEST(CanaryChecks, SmiProviderPromotesThenDeniesEveryone) {
  // Istio's observer (every smi:* provider) records the denials as 403s: successes.
  LoadResult r;
  const Diagnostics d =
      Check(Mesh("podinfo-v2", WithProvider("smi:v1alpha3")), ProfileId::kSpec, false, &r);
  ASSERT_EQ(d.size(), 1u);
  const Diagnostic& f = d.items()[0];
  EXPECT_EQ(f.code, DiagCode::MP7004);
  EXPECT_NE(f.message.find("Flagger will promote a canary that the access policy denies"),
            std::string::npos);
  EXPECT_NE(f.message.find("Istio's observer"), std::string::npos);
  EXPECT_NE(f.message.find("podinfo-primary, then running as test/podinfo-v2, denies all traffic "
                           "to test/podinfo"),
            std::string::npos)
      << f.message;
  ExpectDeniedWitness(f, r, "podinfo-v2");
}

TEST(CanaryChecks, TemplateCountingForbiddenAsFailureRollsBackUnderSmi) {
  const std::string canary = R"(  provider: smi:v1alpha3
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis:
    interval: 30s
    threshold: 3
    stepWeight: 10
    metrics:
    - name: error-rate
      templateRef: {name: error-rate, namespace: test}
      thresholdRange: {max: 1}
)";
  const std::string tmpl = R"(---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: error-rate, namespace: test}
spec:
  provider: {type: prometheus, address: "http://prometheus:9090"}
  query: |
    100 - sum(rate(istio_requests_total{reporter="destination", destination_workload="podinfo",
      response_code!~"4.*|5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{
      reporter="destination", destination_workload="podinfo"}[{{ interval }}])) * 100
)";
  const Diagnostics d = Check(Mesh("podinfo-v2", canary, tmpl));
  const Diagnostic* f = Find(d, DiagCode::MP7005);
  ASSERT_NE(f, nullptr) << (d.empty() ? "" : d.items()[0].message);
  EXPECT_NE(f->message.find("metric error-rate counts the 403s as failed requests"),
            std::string::npos)
      << f->message;
}

TEST(CanaryChecks, CanaryWithoutMetricsIsPromotedWhateverTheProvider) {
  std::string canary = kOsm.substr(0, kOsm.find("    metrics:"));
  const Diagnostics d = Check(Mesh("podinfo-v2", canary));
  const Diagnostic* f = Find(d, DiagCode::MP7004);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("no metrics, so no check halts it"), std::string::npos);
}

// The new identity opened to the load tester only: its requests pass Flagger's checks.
const std::string kNewIdentityForLoadTesterOnly = R"(---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: podinfo-v2, namespace: test}
spec:
  destination: {kind: ServiceAccount, name: podinfo-v2, namespace: test}
  rules: [{kind: HTTPRouteGroup, name: podinfo-routes}]
  sources: [{kind: ServiceAccount, name: flagger-loadtester, namespace: test}]
)";

TEST(CanaryChecks, CallersLeftOutOfTheNewIdentityArePromotedThenDenied) {
  // The primary in the manifests runs as podinfo; the new identity is opened to the load
  // tester only: its requests pass the checks, the frontend's are denied after promotion.
  const std::string extra = R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo-primary, namespace: test}
spec:
  template:
    metadata: {labels: {app: podinfo-primary}}
    spec:
      serviceAccountName: podinfo
      containers: [{name: podinfod, ports: [{name: http, containerPort: 9898}]}]
)" + kNewIdentityForLoadTesterOnly;
  LoadResult r;
  const Diagnostics d = Check(Mesh("podinfo-v2", kOsm, extra), ProfileId::kSpec, false, &r);
  ASSERT_EQ(d.size(), 1u);
  const Diagnostic& f = d.items()[0];
  EXPECT_EQ(f.code, DiagCode::MP7004);
  EXPECT_NE(f.message.find("no TrafficTarget opens to test/frontend (TrafficTarget test/podinfo "
                           "opens test/podinfo to them)"),
            std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("denies them"), std::string::npos);
  ASSERT_TRUE(f.witness.has_value());
  EXPECT_EQ(f.witness->source, "test/frontend");
  ExpectDeniedWitness(f, r, "podinfo-v2");
}

TEST(CanaryChecks, RenamedIdentityOpenedToSomeCallersOnlyIsPromotedThenDenied) {
  // No primary in the manifests: the old identity is test/podinfo, named after the app and
  // run by nothing any more; the new one admits the load tester but not the frontend.
  const std::string extra = kNewIdentityForLoadTesterOnly;
  const Diagnostics d = Check(Mesh("podinfo-v2", kOsm, extra));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.items()[0].code, DiagCode::MP7004);
  EXPECT_NE(d.items()[0].message.find("no TrafficTarget opens to test/frontend"), std::string::npos)
      << d.items()[0].message;
  // An unrelated identity that runs nothing is not taken for the old one.
  std::string unrelated = Mesh("podinfo-v2", kOsm, extra);
  const std::string dest = "destination: {kind: ServiceAccount, name: podinfo, namespace: test}";
  unrelated.replace(unrelated.find(dest), dest.size(),
                    "destination: {kind: ServiceAccount, name: reviews, namespace: test}");
  const Diagnostics none = Check(unrelated);
  EXPECT_TRUE(none.empty()) << none.items()[0].message;
}

TEST(CanaryChecks, CanaryOpenedToItsCallersIsClean) {
  EXPECT_TRUE(Check(Mesh("podinfo", kOsm)).empty());
}

TEST(CanaryChecks, NoAccessFindingWhereAccessIsNotEnforced) {
  // linkerd-smi does not evaluate TrafficTargets; permissive mode ignores them.
  EXPECT_TRUE(Check(Mesh("podinfo-v2", kOsm), ProfileId::kLinkerd).empty());
  EXPECT_TRUE(Check(Mesh("podinfo-v2", kOsm), ProfileId::kOsm, true).empty());
  EXPECT_EQ(Check(Mesh("podinfo-v2", kOsm), ProfileId::kOsm).size(), 1u);
}

TEST(CanaryChecks, OnlyWhatFlaggerDoesIsAVerifyFinding) {
  // A provider without an SMI TrafficSplit and a query the simulator cannot compute are
  // the simulator's limits, not the user's mistakes: no finding. A missing MetricTemplate
  // fails every check in Flagger too (MP7002); mirror with an SMI router is MP7001.
  std::string istio = WithProvider("istio");
  istio += "    mirror: true\n";
  EXPECT_TRUE(Check(Mesh("podinfo", istio)).empty());

  std::string odd = kOsm + R"y(    - name: odd
      query: "sum(up) by (job)"
      thresholdRange: {max: 1}
)y";
  EXPECT_TRUE(Check(Mesh("podinfo", odd)).empty());

  std::string missing = kOsm + R"(    - name: errors
      templateRef: {name: not-there}
      thresholdRange: {max: 1}
    mirror: true
)";
  const Diagnostics d = Check(Mesh("podinfo", missing));
  EXPECT_EQ(d.Count(DiagCode::MP7002), 1u);
  EXPECT_EQ(d.Count(DiagCode::MP7001), 1u);
}

TEST(CanaryChecks, DefaultProviderFollowsTheProfile) {
  EXPECT_EQ(DefaultCanaryProvider(GetProfile(ProfileId::kOsm)), "osm");
  EXPECT_EQ(DefaultCanaryProvider(GetProfile(ProfileId::kSpec)), "linkerd");
}

}  // namespace
}  // namespace meshproof::sim
