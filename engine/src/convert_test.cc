// Conversion tests: what the typed model contains for each kind and SMI version
// (Extraction), and what is reported (Diagnostics). Table-driven where the shape allows.
#include "test_util.h"
#include <gtest/gtest.h>

namespace meshproof {
namespace {

using testing::DiagSummary;
using testing::LoadYaml;

// --- TrafficTarget across versions -----------------------------------------------------

struct TargetCase {
  const char* name;
  const char* yaml;
  std::optional<int> port;
  std::size_t rules;
  std::size_t sources;
};

class TrafficTargetExtraction : public ::testing::TestWithParam<TargetCase> {};

TEST_P(TrafficTargetExtraction, SameModelForEveryVersion) {
  const TargetCase& c = GetParam();
  LoadResult r = LoadYaml(c.yaml);
  ASSERT_EQ(r.model.traffic_targets.size(), 1u) << DiagSummary(r);
  const TrafficTarget& t = r.model.traffic_targets[0];
  EXPECT_EQ(t.meta.name, "tt");
  EXPECT_EQ(t.destination.kind, "ServiceAccount");
  EXPECT_EQ(t.destination.name, "dest");
  EXPECT_EQ(t.destination.namespace_, "ns");
  EXPECT_EQ(t.port, c.port);
  ASSERT_EQ(t.rules.size(), c.rules);
  EXPECT_EQ(t.rules[0].kind, "HTTPRouteGroup");
  EXPECT_EQ(t.rules[0].name, "routes");
  ASSERT_TRUE(t.rules[0].matches.has_value());
  EXPECT_EQ(*t.rules[0].matches, std::vector<std::string>{"m"});
  ASSERT_EQ(t.sources.size(), c.sources);
  EXPECT_EQ(t.sources[0].name, "src");
  EXPECT_EQ(r.diagnostics.Count(Severity::kError), 0u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0004), 0u) << DiagSummary(r);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, TrafficTargetExtraction,
    ::testing::Values(TargetCase{"v1alpha1", R"(apiVersion: access.smi-spec.io/v1alpha1
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
destination: {kind: ServiceAccount, name: dest, namespace: ns, port: 8080}
specs: [{kind: HTTPRouteGroup, name: routes, matches: [m]}]
sources: [{kind: ServiceAccount, name: src, namespace: ns}]
)",
                                 8080, 1, 1},
                      TargetCase{"v1alpha2", R"(apiVersion: access.smi-spec.io/v1alpha2
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest, namespace: ns, port: 8080}
  rules: [{kind: HTTPRouteGroup, name: routes, matches: [m]}]
  sources: [{kind: ServiceAccount, name: src, namespace: ns}]
)",
                                 8080, 1, 1},
                      TargetCase{"v1alpha3", R"(apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest, namespace: ns}
  rules: [{kind: HTTPRouteGroup, name: routes, matches: [m]}, {kind: UDPRoute, name: u}]
  sources: [{kind: ServiceAccount, name: src, namespace: ns}]
)",
                                 std::nullopt, 2, 1}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(TrafficTargetDiagnostics, PortRemovedInV1alpha3IsPrunedNotUsed) {
  LoadResult r = LoadYaml(R"(apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest, namespace: ns, port: 8080}
  rules: [{kind: TCPRoute, name: r}]
  sources: [{kind: ServiceAccount, name: src}]
)");
  ASSERT_EQ(r.model.traffic_targets.size(), 1u);
  EXPECT_FALSE(r.model.traffic_targets[0].port.has_value());
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0004), 1u) << DiagSummary(r);
  const Diagnostic& d = r.diagnostics.items()[0];
  EXPECT_EQ(d.location.path, "spec.destination.port");
  EXPECT_EQ(d.location.line, 5u);
  EXPECT_NE(d.message.find("v1alpha1 (as destination.port), v1alpha2"), std::string::npos)
      << d.message;
  // Source without namespace defaults to the TrafficTarget's.
  EXPECT_EQ(r.model.traffic_targets[0].sources[0].namespace_, "ns");
  EXPECT_TRUE(r.model.traffic_targets[0].sources[0].namespace_defaulted);
}

TEST(TrafficTargetDiagnostics, V1alpha3RequiresRulesAndSources) {
  LoadResult r = LoadYaml(R"(apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest}
)");
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 2u) << DiagSummary(r);
  ASSERT_EQ(r.model.traffic_targets.size(), 1u);
  EXPECT_FALSE(r.model.traffic_targets[0].rules_present);
  EXPECT_FALSE(r.model.traffic_targets[0].sources_present);
}

TEST(TrafficTargetDiagnostics, V1alpha2PortMustBeANumber) {
  LoadResult r = LoadYaml(R"(apiVersion: access.smi-spec.io/v1alpha2
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest, port: "9091"}
)");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
  EXPECT_NE(r.diagnostics.items()[0].message.find("expected a number, found string '9091'"),
            std::string::npos);
  EXPECT_FALSE(r.model.traffic_targets[0].port.has_value());
}

TEST(TrafficTargetDiagnostics, V1alpha1FieldsUnderSpecAreWrongEnvelope) {
  LoadResult r = LoadYaml(R"(apiVersion: access.smi-spec.io/v1alpha1
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest}
)");
  // spec is unknown in v1alpha1, and destination is then missing.
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0004), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
}

TEST(TrafficTargetDiagnostics, RuleKindOutsideEnum) {
  LoadResult r = LoadYaml(R"(apiVersion: access.smi-spec.io/v1alpha2
kind: TrafficTarget
metadata: {name: tt, namespace: ns}
spec:
  destination: {kind: ServiceAccount, name: dest}
  rules: [{kind: UDPRoute, name: u}]
)");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.items()[0].location.path, "spec.rules[0].kind");
}

// --- Route groups ----------------------------------------------------------------------

struct HrgCase {
  const char* name;
  const char* yaml;
  HeaderForm form;
  bool mp0007;
};

class HTTPRouteGroupExtraction : public ::testing::TestWithParam<HrgCase> {};

TEST_P(HTTPRouteGroupExtraction, MatchesAndHeaders) {
  const HrgCase& c = GetParam();
  LoadResult r = LoadYaml(c.yaml);
  ASSERT_EQ(r.model.http_route_groups.size(), 1u) << DiagSummary(r);
  const HTTPRouteGroup& g = r.model.http_route_groups[0];
  ASSERT_EQ(g.matches.size(), 2u);
  EXPECT_EQ(g.matches[0].name, "a");
  EXPECT_EQ(g.matches[0].path_regex, std::optional<std::string>("/api/.*"));
  EXPECT_EQ(g.matches[0].methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_FALSE(g.matches[1].path_regex.has_value());  // absent = any path
  EXPECT_TRUE(g.matches[1].methods.empty());          // absent = all methods
  EXPECT_EQ(g.header_form, c.form);
  if (c.form != HeaderForm::kNone) {
    ASSERT_EQ(g.matches[1].headers.size(), 1u);
    EXPECT_EQ(g.matches[1].headers[0].name, "user-agent");
    EXPECT_EQ(g.matches[1].headers[0].value, ".*Android.*");
  }
  EXPECT_EQ(r.diagnostics.Has(DiagCode::MP0007), c.mp0007) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.Count(Severity::kError), 0u) << DiagSummary(r);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, HTTPRouteGroupExtraction,
    ::testing::Values(HrgCase{"v1alpha1", R"(apiVersion: specs.smi-spec.io/v1alpha1
kind: HTTPRouteGroup
metadata: {name: g}
matches:
- {name: a, pathRegex: "/api/.*", methods: [GET, POST]}
- {name: b}
)",
                              HeaderForm::kNone, false},
                      HrgCase{"v1alpha2_map", R"(apiVersion: specs.smi-spec.io/v1alpha2
kind: HTTPRouteGroup
metadata: {name: g}
matches:
- {name: a, pathRegex: "/api/.*", methods: [GET, POST]}
- name: b
  headers: {user-agent: ".*Android.*"}
)",
                              HeaderForm::kMap, true},
                      HrgCase{"v1alpha3_list", R"(apiVersion: specs.smi-spec.io/v1alpha3
kind: HTTPRouteGroup
metadata: {name: g}
spec:
  matches:
  - {name: a, pathRegex: "/api/.*", methods: [GET, POST]}
  - name: b
    headers:
    - user-agent: ".*Android.*"
)",
                              HeaderForm::kList, false},
                      HrgCase{"v1alpha4_map", R"(apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: g}
spec:
  matches:
  - {name: a, pathRegex: "/api/.*", methods: [GET, POST]}
  - name: b
    headers:
      user-agent: ".*Android.*"
)",
                              HeaderForm::kMap, true}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(HTTPRouteGroupDiagnostics, HeaderListEntryWithTwoKeysIsSchemaError) {
  LoadResult r = LoadYaml(R"(apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: g}
spec:
  matches:
  - name: b
    headers:
    - {user-agent: ".*Android.*", cookie: "x"}
)");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
  EXPECT_NE(r.diagnostics.items()[0].message.find("exactly one key"), std::string::npos);
  EXPECT_TRUE(r.model.http_route_groups[0].matches[0].headers.empty());
}

TEST(HTTPRouteGroupDiagnostics, IntegerHeaderValueIsWrongType) {
  LoadResult r = LoadYaml(R"(apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: g}
spec:
  matches:
  - name: metrics
    headers:
      x-debug: 1
)");
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0007), 1u) << DiagSummary(r);
}

TEST(HTTPRouteGroupDiagnostics, LowercaseMethodOutsideEnum) {
  LoadResult r = LoadYaml(R"(apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: g}
spec:
  matches: [{name: m, methods: [get]}]
)");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.items()[0].location.path, "spec.matches[0].methods[0]");
}

TEST(HTTPRouteGroupDiagnostics, TopLevelMatchesInV1alpha4ArePruned) {
  LoadResult r = LoadYaml(R"(apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: g}
matches: [{name: m, pathRegex: /metrics}]
)");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0004), 1u) << DiagSummary(r);
  EXPECT_NE(r.diagnostics.items()[0].message.find("belongs under spec"), std::string::npos)
      << r.diagnostics.items()[0].message;
  ASSERT_EQ(r.model.http_route_groups.size(), 1u);
  EXPECT_TRUE(r.model.http_route_groups[0].matches.empty());  // what the API server keeps
}

struct L4Case {
  const char* name;
  const char* yaml;
  L4Protocol protocol;
  std::vector<int> ports;
};

class L4RouteExtraction : public ::testing::TestWithParam<L4Case> {};

TEST_P(L4RouteExtraction, Ports) {
  const L4Case& c = GetParam();
  LoadResult r = LoadYaml(c.yaml);
  ASSERT_EQ(r.model.l4_routes.size(), 1u) << DiagSummary(r);
  EXPECT_EQ(r.model.l4_routes[0].protocol, c.protocol);
  EXPECT_EQ(r.model.l4_routes[0].ports, c.ports);
  EXPECT_TRUE(r.diagnostics.empty()) << DiagSummary(r);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, L4RouteExtraction,
    ::testing::Values(
        L4Case{"tcp_v1alpha1",
               "apiVersion: specs.smi-spec.io/v1alpha1\nkind: TCPRoute\nmetadata: {name: t}\n",
               L4Protocol::kTcp,
               {}},
        L4Case{"tcp_v1alpha2",
               "apiVersion: specs.smi-spec.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: t}\n",
               L4Protocol::kTcp,
               {}},
        L4Case{"tcp_v1alpha3",
               "apiVersion: specs.smi-spec.io/v1alpha3\nkind: TCPRoute\nmetadata: {name: t}\nspec: "
               "{}\n",
               L4Protocol::kTcp,
               {}},
        L4Case{"tcp_v1alpha4",
               "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: t}\n"
               "spec: {matches: {ports: [8301, 8302]}}\n",
               L4Protocol::kTcp,
               {8301, 8302}},
        L4Case{"udp_v1alpha4",
               "apiVersion: specs.smi-spec.io/v1alpha4\nkind: UDPRoute\nmetadata: {name: t}\n"
               "spec: {matches: {ports: []}}\n",
               L4Protocol::kUdp,
               {}}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(L4RouteDiagnostics, UdpRouteWithoutMatchesAndUnknownField) {
  LoadResult r = LoadYaml(R"(apiVersion: specs.smi-spec.io/v1alpha4
kind: UDPRoute
metadata: {name: u}
spec:
  foo: bar
)");
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0004), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(r);
}

TEST(L4RouteDiagnostics, UdpRouteDoesNotExistBeforeV1alpha4) {
  LoadResult r =
      LoadYaml("apiVersion: specs.smi-spec.io/v1alpha3\nkind: UDPRoute\nmetadata: {name: u}\n");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0003), 1u) << DiagSummary(r);
  EXPECT_EQ(r.model.l4_routes.size(), 1u);
}

TEST(L4RouteDiagnostics, PortOutOfRange) {
  LoadResult r = LoadYaml(
      "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: t}\n"
      "spec: {matches: {ports: [0, 70000, 80]}}\n");
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 2u) << DiagSummary(r);
  EXPECT_EQ(r.model.l4_routes[0].ports, std::vector<int>{80});
}

// --- TrafficSplit ----------------------------------------------------------------------

struct SplitCase {
  const char* name;
  const char* version;
  const char* w1;
  const char* w2;
  double share1;
  std::vector<DiagCode> codes;
};

class TrafficSplitWeights : public ::testing::TestWithParam<SplitCase> {};

TEST_P(TrafficSplitWeights, SharesAreExact) {
  const SplitCase& c = GetParam();
  std::string yaml = std::string("apiVersion: split.smi-spec.io/") + c.version +
                     "\nkind: TrafficSplit\nmetadata: {name: s, namespace: ns}\nspec:\n"
                     "  service: root\n  backends:\n  - {service: a, weight: " +
                     c.w1 + "}\n  - {service: b, weight: " + c.w2 + "}\n";
  LoadResult r = LoadYaml(yaml);
  ASSERT_EQ(r.model.traffic_splits.size(), 1u) << DiagSummary(r);
  const TrafficSplit& s = r.model.traffic_splits[0];
  ASSERT_EQ(s.backends.size(), 2u);
  EXPECT_NEAR(s.backends[0].share, c.share1, 1e-12) << c.w1 << " vs " << c.w2;
  std::vector<DiagCode> codes;
  for (const auto& d : r.diagnostics.items()) codes.push_back(d.code);
  std::vector<DiagCode> expected = c.codes;
  std::sort(codes.begin(), codes.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(codes, expected) << DiagSummary(r);
}

INSTANTIATE_TEST_SUITE_P(
    Weights, TrafficSplitWeights,
    ::testing::Values(
        // v1alpha1 quantities: 1 = 1000m, so 1 : 500m is 2:1, not 1:500 (the SDK bug).
        SplitCase{"v1_one_and_500m", "v1alpha1", "1", "500m", 2.0 / 3.0, {DiagCode::MP3013}},
        SplitCase{"v1_exponent", "v1alpha1", "1e3", "1k", 0.5, {DiagCode::MP3013}},
        SplitCase{"v1_binary", "v1alpha1", "1Ki", "1024", 0.5, {DiagCode::MP3013}},
        SplitCase{"v1_quoted", "v1alpha1", "\"1.5\"", "\"500m\"", 0.75, {DiagCode::MP3013}},
        SplitCase{
            "v1_not_a_quantity", "v1alpha1", "abc", "1", 0.0, {DiagCode::MP0002, DiagCode::MP3013}},
        SplitCase{"v1_negative", "v1alpha1", "-1", "1", 0.0, {DiagCode::MP3004, DiagCode::MP3013}},
        SplitCase{"v2_integers", "v1alpha2", "1000", "500", 2.0 / 3.0, {}},
        SplitCase{"v2_zero", "v1alpha2", "0", "100", 0.0, {}},
        SplitCase{"v2_fraction", "v1alpha2", "0.5", "1", 0.0, {DiagCode::MP3004}},
        SplitCase{"v2_negative", "v1alpha2", "-3", "1", 0.0, {DiagCode::MP3004}},
        SplitCase{"v3_string", "v1alpha3", "\"50\"", "50", 0.0, {DiagCode::MP0002}},
        SplitCase{"v4_quantity_text", "v1alpha4", "500m", "1", 0.0, {DiagCode::MP0002}}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(TrafficSplitExtraction, MatchesOnlyFromV1alpha3) {
  const char* tmpl = R"(apiVersion: split.smi-spec.io/%s
kind: TrafficSplit
metadata: {name: s}
spec:
  service: root
  matches: [{kind: HTTPRouteGroup, name: ab}]
  backends: [{service: a, weight: 1}]
)";
  char buf[512];
  std::snprintf(buf, sizeof buf, tmpl, "v1alpha2");
  LoadResult old = LoadYaml(buf);
  EXPECT_TRUE(old.model.traffic_splits[0].matches.empty());
  EXPECT_EQ(old.diagnostics.Count(DiagCode::MP0004), 1u) << DiagSummary(old);
  std::snprintf(buf, sizeof buf, tmpl, "v1alpha3");
  LoadResult v3 = LoadYaml(buf);
  ASSERT_EQ(v3.model.traffic_splits[0].matches.size(), 1u);
  EXPECT_EQ(v3.model.traffic_splits[0].matches[0].name, "ab");
  EXPECT_TRUE(v3.diagnostics.empty()) << DiagSummary(v3);
}

// --- Versions: unknown, missing, group-less ----------------------------------------------

struct VersionCase {
  const char* name;
  const char* yaml;
  const char* api_version;  // as the model records it
  bool inferred;
  std::size_t mp0003;
};

class VersionResolution : public ::testing::TestWithParam<VersionCase> {};

TEST_P(VersionResolution, InfersOrReports) {
  const VersionCase& c = GetParam();
  LoadResult r = LoadYaml(c.yaml);
  ASSERT_EQ(r.model.ObjectCount(), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0003), c.mp0003) << DiagSummary(r);
  const ObjectMeta* meta = nullptr;
  if (!r.model.traffic_targets.empty()) meta = &r.model.traffic_targets[0].meta;
  if (!r.model.http_route_groups.empty()) meta = &r.model.http_route_groups[0].meta;
  if (!r.model.traffic_splits.empty()) meta = &r.model.traffic_splits[0].meta;
  if (!r.model.l4_routes.empty()) meta = &r.model.l4_routes[0].meta;
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->api_version, c.api_version);
  EXPECT_EQ(meta->api_version_inferred, c.inferred);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VersionResolution,
    ::testing::Values(
        VersionCase{"tt_v1_inferred",
                    "kind: TrafficTarget\nmetadata: {name: t}\ndestination: {kind: ServiceAccount, "
                    "name: d}\n",
                    "access.smi-spec.io/v1alpha1", true, 1},
        VersionCase{"tt_v2_inferred",
                    "kind: TrafficTarget\nmetadata: {name: t}\nspec: {destination: {kind: "
                    "ServiceAccount, name: d, port: 80}}\n",
                    "access.smi-spec.io/v1alpha2", true, 1},
        VersionCase{
            "hrg_v2_inferred",
            "kind: HTTPRouteGroup\nmetadata: {name: g}\nmatches: [{name: m, headers: [{a: b}]}]\n",
            "specs.smi-spec.io/v1alpha2", true, 1},
        VersionCase{"split_v1_inferred",
                    "kind: TrafficSplit\nmetadata: {name: s}\nspec: {service: r, backends: "
                    "[{service: a, weight: 500m}]}\n",
                    "split.smi-spec.io/v1alpha1", true, 1},
        VersionCase{
            "groupless",
            "apiVersion: v1alpha1\nkind: HTTPRouteGroup\nmetadata: {name: g}\nmatches: []\n",
            "v1alpha1", false, 1},
        VersionCase{
            "unknown_version",
            "apiVersion: split.smi-spec.io/v1alpha9\nkind: TrafficSplit\nmetadata: {name: s}\n"
            "spec: {service: r, backends: [{service: a, weight: 1}]}\n",
            "split.smi-spec.io/v1alpha9", false, 1},
        VersionCase{"known_version",
                    "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: t}\n"
                    "spec: {matches: {ports: []}}\n",
                    "specs.smi-spec.io/v1alpha4", false, 0}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(VersionResolution, OtherApiGroupWithSmiKindNameIsSkipped) {
  LoadResult r = LoadYaml("apiVersion: example.com/v1\nkind: TrafficSplit\nmetadata: {name: s}\n");
  EXPECT_EQ(r.model.ObjectCount(), 0u);
  EXPECT_EQ(r.model.skipped.at("example.com/v1/TrafficSplit"), 1);
  EXPECT_TRUE(r.diagnostics.empty()) << DiagSummary(r);
}

// --- Kubernetes --------------------------------------------------------------------------

TEST(KubernetesExtraction, ServicePortsAndSelectors) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http-port, appProtocol: http}
  - {port: 9000}
  - {port: 53, targetPort: 5353, protocol: UDP}
)");
  ASSERT_EQ(r.model.services.size(), 1u) << DiagSummary(r);
  const Service& s = r.model.services[0];
  EXPECT_TRUE(s.has_selector);
  EXPECT_EQ(s.selector.at("app"), "web");
  ASSERT_EQ(s.ports.size(), 3u);
  EXPECT_EQ(s.ports[0].target_port_name, "http-port");
  EXPECT_EQ(s.ports[0].app_protocol, "http");
  EXPECT_EQ(s.ports[1].target_port, 9000);  // defaults to port
  EXPECT_EQ(s.ports[2].target_port, 5353);
  EXPECT_EQ(s.ports[2].protocol, "UDP");
}

TEST(KubernetesExtraction, WorkloadsDefaultServiceAccountAndReplicas) {
  LoadResult r = LoadYaml(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: sys}
spec:
  template:
    metadata: {labels: {app: ds}}
    spec: {serviceAccountName: agent}
---
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: p}}
spec: {serviceAccount: legacy}
)",
                          LoadOptions{.default_namespace = "team-a"});
  ASSERT_EQ(r.model.workloads.size(), 3u) << DiagSummary(r);
  const Workload* d = nullptr;
  const Workload* ds = nullptr;
  const Workload* p = nullptr;
  for (const auto& w : r.model.workloads) {
    if (w.meta.name == "d") d = &w;
    if (w.meta.name == "ds") ds = &w;
    if (w.meta.name == "p") p = &w;
  }
  ASSERT_TRUE(d && ds && p);
  EXPECT_EQ(d->service_account, "default");
  EXPECT_TRUE(d->service_account_defaulted);
  EXPECT_EQ(d->replicas, 1);
  EXPECT_EQ(d->meta.namespace_, "team-a");
  EXPECT_TRUE(d->meta.namespace_defaulted);
  ASSERT_EQ(d->ports.size(), 1u);
  EXPECT_EQ(d->ports[0].name, "http");
  EXPECT_EQ(ds->service_account, "agent");
  EXPECT_FALSE(ds->replicas.has_value());
  EXPECT_EQ(ds->meta.namespace_, "sys");
  EXPECT_EQ(p->workload_kind, WorkloadKind::kPod);
  EXPECT_EQ(p->service_account, "legacy");
  EXPECT_EQ(p->pod_labels.at("app"), "p");
}

TEST(KubernetesExtraction, ListItemsAndSkippedKinds) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: a}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: b}, bogus: [}
)");
  // The last item has a YAML error: the whole document is dropped with MP0001.
  EXPECT_TRUE(r.diagnostics.Has(DiagCode::MP0001));
  LoadResult ok = LoadYaml(R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: a}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
- 42
)");
  EXPECT_EQ(ok.model.service_accounts.size(), 1u);
  EXPECT_EQ(ok.model.skipped.at("v1/ConfigMap"), 1);
  ASSERT_EQ(ok.diagnostics.Count(DiagCode::MP0002), 1u) << DiagSummary(ok);
  EXPECT_EQ(ok.diagnostics.items()[0].location.path, "items[2].");
}

TEST(KubernetesDiagnostics, LabelValuesMustBeStrings) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: a, labels: {version: 1, enabled: yes, name: ok}}
)");
  // kubectl reads YAML 1.1: `yes` is a boolean, 1 an integer; both are rejected.
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 2u) << DiagSummary(r);
}

TEST(KubernetesDiagnostics, MissingNameAndBadNamespace) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: ServiceAccount
metadata: {namespace: x}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: a, namespace: <NAMESPACE>}
)");
  EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 2u) << DiagSummary(r);
  EXPECT_EQ(r.model.service_accounts.size(), 1u);
}

// --- Field locations -------------------------------------------------------------------

TEST(FieldLocations, EveryFieldIsLocated) {
  LoadResult r = LoadYaml(R"(apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata:
  name: tt
  namespace: ns
spec:
  destination:
    kind: ServiceAccount
    name: dest
  rules:
  - kind: HTTPRouteGroup
    name: routes
  sources:
  - kind: ServiceAccount
    name: src
)");
  ASSERT_EQ(r.model.traffic_targets.size(), 1u);
  const ObjectMeta& m = r.model.traffic_targets[0].meta;
  Loc name = m.LocOf("spec.destination.name");
  EXPECT_EQ(name.line, 9u);
  EXPECT_EQ(name.column, 11u);
  EXPECT_EQ(name.path, "spec.destination.name");
  Loc src = m.LocOf("spec.sources[0].name");
  EXPECT_EQ(src.line, 15u);
  // Absent field: the nearest written ancestor, with the path asked for.
  Loc ns = m.LocOf("spec.sources[0].namespace");
  EXPECT_EQ(ns.line, 14u);
  EXPECT_EQ(ns.path, "spec.sources[0].namespace");
  EXPECT_EQ(m.LocOf("nothing.here").line, 1u);  // the object itself
}

TEST(FieldLocations, InsideListsCarryThePrefix) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s}
  spec:
    ports: [{port: 80}]
)");
  ASSERT_EQ(r.model.services.size(), 1u);
  Loc port = r.model.services[0].meta.LocOf("spec.ports[0].port");
  EXPECT_EQ(port.line, 8u);
  EXPECT_EQ(port.path, "items[0].spec.ports[0].port");
}

// --- Finalize: duplicates and namespaces ------------------------------------------------

TEST(FinalizeDiagnostics, DuplicateObjectLaterWins) {
  LoadResult r = LoadTexts({{"a.yaml", R"(apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: s, namespace: ns}
spec: {service: root, backends: [{service: v1, weight: 100}]}
)"},
                            {"b.yaml", R"(apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: s, namespace: ns}
spec: {service: root, backends: [{service: v2, weight: 100}]}
)"}});
  ASSERT_EQ(r.model.traffic_splits.size(), 1u);
  EXPECT_EQ(r.model.traffic_splits[0].backends[0].service, "v2");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0005), 1u) << DiagSummary(r);
  const Diagnostic& d = r.diagnostics.items()[0];
  EXPECT_EQ(r.sources.name(d.location.file), "b.yaml");
  EXPECT_NE(d.message.find("a.yaml:1"), std::string::npos) << d.message;
  ASSERT_EQ(d.related.size(), 1u);
}

TEST(FinalizeDiagnostics, SameNameDifferentKindOrNamespaceIsNoDuplicate) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: a}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: b}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
)");
  EXPECT_FALSE(r.diagnostics.Has(DiagCode::MP0005)) << DiagSummary(r);
}

TEST(FinalizeDiagnostics, UndeclaredNamespaceWhenInputDeclaresNamespaces) {
  const char* objects = R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: t, namespace: shop}
spec:
  destination: {kind: ServiceAccount, name: web, namespace: shop}
  rules: [{kind: TCPRoute, name: r}]
  sources: [{kind: ServiceAccount, name: x, namespace: payments}]
)";
  LoadResult none = LoadYaml(objects);
  EXPECT_FALSE(none.diagnostics.Has(DiagCode::MP0006)) << DiagSummary(none);
  LoadResult declared = LoadYaml(
      std::string("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n") + objects);
  ASSERT_EQ(declared.diagnostics.Count(DiagCode::MP0006), 1u) << DiagSummary(declared);
  EXPECT_NE(declared.diagnostics.items()[0].message.find("'payments'"), std::string::npos);
}

}  // namespace
}  // namespace meshproof
