// Every check: a minimal manifest that triggers it, and a near-miss that must not.
#include "meshproof/solver/checks.h"

#include "test_mesh.h"
#include <gtest/gtest.h>

#include "meshproof/solver/query.h"

namespace meshproof {
namespace {

using testing::App;
using testing::Routes;
using testing::Split;
using testing::Target;

struct CheckCase {
  const char* name;
  DiagCode code;
  std::string trigger;
  std::string near_miss;
  std::optional<double> require_weight_sum = std::nullopt;
};

Diagnostics RunCase(const std::string& yaml, const CheckCase& c, LoadResult* keep) {
  *keep = LoadTexts({{"mesh.yaml", yaml}});
  RouteGraph g = CompileGraph(keep->model, GetProfile(ProfileId::kSpec));
  Diagnostics d;
  CheckOptions o;
  o.require_weight_sum = c.require_weight_sum;
  RunChecks(g, o, &d);
  return d;
}

class CheckTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(CheckTest, TriggersAndNearMissDoesNot) {
  const CheckCase& c = GetParam();
  LoadResult a, b;
  Diagnostics hit = RunCase(c.trigger, c, &a);
  EXPECT_TRUE(a.diagnostics.empty()) << "trigger manifest should load cleanly:\n"
                                     << testing::Codes(a.diagnostics);
  EXPECT_TRUE(hit.Has(c.code)) << InfoOf(c.code).id << " not reported; got:\n"
                               << testing::Codes(hit);
  for (const auto& d : hit.items()) {
    if (d.code != c.code) continue;
    EXPECT_NE(d.location.file, kNoFile) << d.message;
    EXPECT_GT(d.location.line, 0u) << d.message;
    EXPECT_TRUE(d.resource.has_value()) << d.message;
  }
  Diagnostics miss = RunCase(c.near_miss, c, &b);
  EXPECT_TRUE(b.diagnostics.empty()) << "near-miss manifest should load cleanly:\n"
                                     << testing::Codes(b.diagnostics);
  EXPECT_FALSE(miss.Has(c.code)) << InfoOf(c.code).id << " reported on the near miss:\n"
                                 << testing::Codes(miss);
}

const std::string kStore = App("shop", "store", "store") + App("shop", "web", "web");
const std::string kRoutes = Routes("shop", "r", "[{name: m, pathRegex: /api, methods: [GET]}]");
const std::string kAllow = Target("shop", "web-to-store", "shop/store", "shop/web",
                                  "[{kind: HTTPRouteGroup, name: r, matches: [m]}]");
const std::string kMesh = kStore + kRoutes + kAllow;
const std::string kAllowWeb = Target("shop", "x-to-web", "shop/web", "shop/store",
                                     "[{kind: HTTPRouteGroup, name: r, matches: [m]}]");

// A canary: root `store` selects v1 and v2; v2 runs as its own identity.
std::string Canary(const std::string& v2_sa, bool cover_v2) {
  std::string y = App("shop", "web", "web") + App("shop", "store", "store", 2, "v1") +
                  App("shop", "store", v2_sa, 1, "v2") + kRoutes;
  y += "apiVersion: v1\nkind: Service\nmetadata: {name: store, namespace: shop}\nspec:\n  "
       "selector: {app: store}\n"
       "  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n";
  y += Split("shop", "store-split", "store",
             "[{service: store-v1, weight: 90}, {service: store-v2, weight: 10}]");
  y += Target("shop", "web-to-store", "shop/store", "shop/web",
              "[{kind: HTTPRouteGroup, name: r, matches: [m]}]");
  if (cover_v2 && v2_sa != "store") {
    y += Target("shop", "web-to-canary", "shop/" + v2_sa, "shop/web",
                "[{kind: HTTPRouteGroup, name: r, matches: [m]}]");
  }
  return y;
}

INSTANTIATE_TEST_SUITE_P(
    Catalog, CheckTest,
    ::testing::Values(
        CheckCase{"MP1001_missing_route", DiagCode::MP1001,
                  kStore + Target("shop", "t", "shop/store", "shop/web",
                                  "[{kind: HTTPRouteGroup, name: gone}]"),
                  kMesh},
        CheckCase{"MP1002_missing_match", DiagCode::MP1002,
                  kStore + kRoutes +
                      Target("shop", "t", "shop/store", "shop/web",
                             "[{kind: HTTPRouteGroup, name: r, matches: [nope]}]"),
                  kMesh},
        CheckCase{
            "MP1003_destination_runs_nothing", DiagCode::MP1003,
            kStore + kRoutes +
                Target("shop", "t", "shop/ghost", "shop/web", "[{kind: HTTPRouteGroup, name: r}]"),
            kMesh},
        CheckCase{"MP1004_source_runs_nothing", DiagCode::MP1004,
                  kStore + kRoutes +
                      Target("shop", "t", "shop/store", "shop/ghost",
                             "[{kind: HTTPRouteGroup, name: r}]"),
                  kMesh},
        CheckCase{
            "MP1005_namespace_differs", DiagCode::MP1005,
            kStore + kRoutes + Routes("other", "r", "[{name: m}]") +
                Target("other", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]"),
            kMesh},
        CheckCase{"MP1006_no_sources", DiagCode::MP1006,
                  kStore + kRoutes +
                      "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: "
                      "{name: t, namespace: shop}\n"
                      "spec:\n  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
                      "  rules: [{kind: HTTPRouteGroup, name: r}]\n  sources: []\n",
                  kMesh},
        CheckCase{"MP1007_subject_kind", DiagCode::MP1007,
                  kStore + kRoutes +
                      "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: "
                      "{name: t, namespace: shop}\n"
                      "spec:\n  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
                      "  rules: [{kind: HTTPRouteGroup, name: r}]\n  sources: [{kind: Group, name: "
                      "admins}]\n",
                  kMesh},
        CheckCase{"MP1009_unreachable_service", DiagCode::MP1009, kStore + kRoutes,
                  kMesh + kAllowWeb},
        CheckCase{"MP1010_workload_without_policy", DiagCode::MP1010, kMesh, kMesh + kAllowWeb},
        CheckCase{"MP1011_partial_identities", DiagCode::MP1011,
                  App("shop", "web", "web") + App("shop", "api", "api-a", 1, "a") +
                      App("shop", "api", "api-b", 1, "b") +
                      "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: "
                      "shop}\nspec:\n  selector: {app: api}\n"
                      "  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n" +
                      kRoutes +
                      Target("shop", "t", "shop/api-a", "shop/web",
                             "[{kind: HTTPRouteGroup, name: r, matches: [m]}]"),
                  App("shop", "web", "web") + App("shop", "api", "api-a", 1, "a") +
                      App("shop", "api", "api-b", 1, "b") +
                      "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: "
                      "shop}\nspec:\n  selector: {app: api}\n"
                      "  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n" +
                      kRoutes +
                      Target("shop", "t", "shop/api-a", "shop/web",
                             "[{kind: HTTPRouteGroup, name: r, matches: [m]}]") +
                      Target("shop", "t2", "shop/api-b", "shop/web",
                             "[{kind: HTTPRouteGroup, name: r, matches: [m]}]")},
        CheckCase{
            "MP2005_duplicate_match_name", DiagCode::MP2005,
            kStore + Routes("shop", "r", "[{name: m, pathRegex: /a}, {name: m, pathRegex: /b}]") +
                kAllow,
            kStore +
                Routes("shop", "r", "[{name: m, pathRegex: /a}, {name: other, pathRegex: /b}]") +
                kAllow},
        CheckCase{"MP2006_empty_group", DiagCode::MP2006, kMesh + Routes("shop", "empty", "[]"),
                  kMesh},
        CheckCase{
            "MP2007_l4_port_not_exposed", DiagCode::MP2007,
            kStore +
                "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: tcp, "
                "namespace: shop}\n"
                "spec: {matches: {ports: [9999]}}\n---\n" +
                Target("shop", "t", "shop/store", "shop/web", "[{kind: TCPRoute, name: tcp}]"),
            kStore +
                "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: tcp, "
                "namespace: shop}\n"
                "spec: {matches: {ports: [8080]}}\n---\n" +
                Target("shop", "t", "shop/store", "shop/web", "[{kind: TCPRoute, name: tcp}]")},
        CheckCase{"MP3001_root_missing", DiagCode::MP3001,
                  kMesh + Split("shop", "s", "nothere", "[{service: store, weight: 1}]"),
                  kMesh + Split("shop", "s", "store.shop.svc.cluster.local",
                                "[{service: web, weight: 1}]")},
        CheckCase{"MP3002_backend_missing", DiagCode::MP3002,
                  kMesh + Split("shop", "s", "store",
                                "[{service: web, weight: 1}, {service: gone, weight: 1}]"),
                  kMesh + Split("shop", "s", "store", "[{service: web, weight: 1}]")},
        CheckCase{"MP3003_zero_total", DiagCode::MP3003,
                  kMesh + Split("shop", "s", "store", "[{service: web, weight: 0}]"),
                  kMesh + Split("shop", "s", "store", "[{service: web, weight: 1}]")},
        CheckCase{"MP3005_weight_sum", DiagCode::MP3005,
                  kMesh + App("shop", "web2", "web2") +
                      Split("shop", "s", "store",
                            "[{service: web, weight: 50}, {service: web2, weight: 40}]"),
                  kMesh + App("shop", "web2", "web2") +
                      Split("shop", "s", "store",
                            "[{service: web, weight: 60}, {service: web2, weight: 40}]"),
                  100.0},
        CheckCase{"MP3006_two_splits_one_root", DiagCode::MP3006,
                  kMesh + Split("shop", "a", "store", "[{service: web, weight: 1}]") +
                      Split("shop", "b", "store", "[{service: web, weight: 1}]"),
                  kMesh + Split("shop", "a", "store", "[{service: web, weight: 1}]") +
                      Split("shop", "b", "web", "[{service: store, weight: 1}]")},
        CheckCase{"MP3007_backend_lacks_port", DiagCode::MP3007,
                  kMesh + App("shop", "odd", "odd", 1, "", "http", 81) +
                      Split("shop", "s", "store", "[{service: odd, weight: 1}]"),
                  kMesh + App("shop", "odd", "odd", 1, "", "http", 80) +
                      Split("shop", "s", "store", "[{service: odd, weight: 1}]")},
        CheckCase{"MP3008_self_referential", DiagCode::MP3008,
                  kMesh + Split("shop", "s", "store",
                                "[{service: store, weight: 1}, {service: web, weight: 1}]"),
                  kMesh + Split("shop", "s", "store", "[{service: web, weight: 1}]")},
        CheckCase{"MP3009_hierarchical", DiagCode::MP3009,
                  kMesh + App("shop", "leaf", "leaf") +
                      Split("shop", "a", "store", "[{service: web, weight: 1}]") +
                      Split("shop", "b", "web", "[{service: leaf, weight: 1}]"),
                  kMesh + App("shop", "leaf", "leaf") +
                      Split("shop", "a", "store", "[{service: leaf, weight: 1}]") +
                      Split("shop", "b", "web", "[{service: leaf, weight: 1}]")},
        CheckCase{
            "MP3010_backend_without_pods", DiagCode::MP3010,
            kMesh +
                "apiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: shop}\nspec:\n"
                "  selector: {app: nobody}\n  ports: [{port: 80}]\n---\n" +
                Split("shop", "s", "store",
                      "[{service: web, weight: 1}, {service: empty, weight: 1}]"),
            kMesh +
                "apiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: shop}\nspec:\n"
                "  selector: {app: nobody}\n  ports: [{port: 80}]\n---\n" +
                Split("shop", "s", "store",
                      "[{service: web, weight: 1}, {service: empty, weight: 0}]")},
        CheckCase{"MP3011_canary_denied", DiagCode::MP3011, Canary("store-canary", false),
                  Canary("store-canary", true)},
        CheckCase{"MP3012_split_matches_missing", DiagCode::MP3012,
                  kMesh + "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\nmetadata: "
                          "{name: s, namespace: shop}\n"
                          "spec:\n  service: store\n  matches: [{kind: HTTPRouteGroup, name: "
                          "gone}]\n  backends: [{service: web, weight: 1}]\n",
                  kMesh + "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\nmetadata: "
                          "{name: s, namespace: shop}\n"
                          "spec:\n  service: store\n  matches: [{kind: HTTPRouteGroup, name: r}]\n "
                          " backends: [{service: web, weight: 1}]\n"},
        CheckCase{"MP2001_invalid_regex", DiagCode::MP2001,
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: \"/api/(?=v1)\"}]") + kAllow,
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: \"/api/(?:v1)\"}]") + kAllow},
        CheckCase{
            "MP2001_regex_past_nesting_limit", DiagCode::MP2001,
            kStore +
                Routes("shop", "r", "[{name: m, pathRegex: \"" + std::string(20000, '(') + "\"}]") +
                kAllow,
            kStore +
                Routes("shop", "r",
                       "[{name: m, pathRegex: \"" + std::string(1000, '(') + "/a" +
                           std::string(1000, ')') + "\"}]") +
                kAllow},
        CheckCase{"MP2002_empty_match", DiagCode::MP2002,
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: books-bought}]") + kAllow,
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: /books-bought}]") + kAllow},
        CheckCase{
            "MP2003_redundant_match", DiagCode::MP2003,
            kStore +
                Routes("shop", "r",
                       "[{name: m, pathRegex: /api/v1/.*, methods: [GET]}, {name: wide, pathRegex: "
                       "/api/.*}]") +
                Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]"),
            kStore +
                Routes("shop", "r",
                       "[{name: m, pathRegex: /api/v1/.*, methods: [GET]}, {name: wide, pathRegex: "
                       "/api/.*, methods: [POST]}]") +
                Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]")},
        CheckCase{
            "MP2004_anchoring_sensitive", DiagCode::MP2004,
            kStore + Routes("shop", "r", "[{name: m, pathRegex: /api, methods: [GET]}]") + kAllow,
            kStore + Routes("shop", "r", "[{name: m, pathRegex: /api/.*, methods: [GET]}]") +
                kAllow},
        CheckCase{"MP1008_over_broad", DiagCode::MP1008,
                  kStore + App("shop", "a1", "a1") + App("shop", "a2", "a2") +
                      App("shop", "a3", "a3") + App("shop", "a4", "a4") +
                      Routes("shop", "r", "[{name: m, pathRegex: \".*\"}]") +
                      "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: "
                      "{name: t, namespace: shop}\n"
                      "spec:\n  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
                      "  rules: [{kind: HTTPRouteGroup, name: r, matches: [m]}]\n  sources: "
                      "[{kind: ServiceAccount, name: web}, "
                      "{kind: ServiceAccount, name: a1}, {kind: ServiceAccount, name: a2}, {kind: "
                      "ServiceAccount, name: a3}, "
                      "{kind: ServiceAccount, name: a4}]\n",
                  kStore + App("shop", "a1", "a1") + App("shop", "a2", "a2") +
                      App("shop", "a3", "a3") + App("shop", "a4", "a4") +
                      Routes("shop", "r", "[{name: m, pathRegex: \"/api/.*\"}]") +
                      "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: "
                      "{name: t, namespace: shop}\n"
                      "spec:\n  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
                      "  rules: [{kind: HTTPRouteGroup, name: r, matches: [m]}]\n  sources: "
                      "[{kind: ServiceAccount, name: web}, "
                      "{kind: ServiceAccount, name: a1}, {kind: ServiceAccount, name: a2}, {kind: "
                      "ServiceAccount, name: a3}, "
                      "{kind: ServiceAccount, name: a4}]\n"},
        CheckCase{"MP9001_inconclusive", DiagCode::MP9001,
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: \"/[^\\\\x00-\\\\x7f]\"}]") +
                      kAllow,
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: \"/[^/]\"}]") + kAllow},
        CheckCase{
            "MP4001_rule_without_matches", DiagCode::MP4001,
            kStore + kRoutes +
                Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]"),
            kStore + Routes("shop", "r", "[{name: m, pathRegex: /api/.*, methods: [GET]}]") +
                kAllow},
        CheckCase{"MP4001_route_level_anchoring", DiagCode::MP4001,
                  kMesh,  // /api: GET /api/x is allowed by the spec's prefix reading, denied by
                          // OSM's full match
                  kStore + Routes("shop", "r", "[{name: m, pathRegex: /api$, methods: [GET]}]") +
                      kAllow}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(CheckDetails, CanaryDeniedSaysShareAndWitness) {
  LoadResult r = LoadTexts({{"mesh.yaml", Canary("store-canary", false)}});
  RouteGraph g = CompileGraph(r.model, GetProfile(ProfileId::kSpec));
  Diagnostics d;
  RunChecks(g, {}, &d);
  const Diagnostic* found = nullptr;
  for (const auto& x : d.items()) {
    if (x.code == DiagCode::MP3011) found = &x;
  }
  ASSERT_NE(found, nullptr) << testing::Codes(d);
  EXPECT_NE(found->message.find("shop/web may call shop/store:80"), std::string::npos)
      << found->message;
  EXPECT_NE(found->message.find("shop/store-v2"), std::string::npos) << found->message;
  EXPECT_NE(found->message.find("10% of its requests"), std::string::npos) << found->message;
  ASSERT_TRUE(found->witness.has_value());
  EXPECT_EQ(found->witness->source, "shop/web");
  EXPECT_EQ(found->witness->destination, "shop/store");
  EXPECT_EQ(found->witness->port, 80);
  EXPECT_EQ(found->location.path, "spec.backends[1]");
  ASSERT_FALSE(found->related.empty());
  EXPECT_EQ(found->related[0].name, "web-to-store");
}

TEST(CheckDetails, RouteLevelPortabilityWitnessDiffers) {
  LoadResult r = LoadTexts({{"mesh.yaml", kMesh}});
  RouteGraph spec = CompileGraph(r.model, GetProfile(ProfileId::kSpec));
  Diagnostics d;
  RunChecks(spec, {}, &d);
  const Diagnostic* found = nullptr;
  for (const auto& x : d.items()) {
    if (x.code == DiagCode::MP4001 && x.message.find("route-level") != std::string::npos)
      found = &x;
  }
  ASSERT_NE(found, nullptr) << testing::Codes(d);
  ASSERT_TRUE(found->witness.has_value());
  EXPECT_EQ(found->witness->path.rfind("/api", 0), 0u);
  // The witness request really is allowed under spec and denied under OSM.
  RouteGraph osm = CompileGraph(r.model, GetProfile(ProfileId::kOsm));
  QueryRequest q{found->witness->source,
                 found->witness->destination,
                 "",
                 found->witness->port,
                 found->witness->method,
                 found->witness->path,
                 found->witness->headers,
                 true};
  EXPECT_EQ(Query(spec, q).verdict, Verdict::kAllow);
  EXPECT_EQ(Query(osm, q).verdict, Verdict::kDeny);
}

TEST(CheckDetails, SplitCycleIsAnError) {
  std::string y = App("shop", "a", "x") + App("shop", "b", "x") + App("shop", "c", "x") +
                  Split("shop", "s1", "a", "[{service: b, weight: 1}]") +
                  Split("shop", "s2", "b", "[{service: a, weight: 1}]");
  LoadResult r = LoadTexts({{"mesh.yaml", y}});
  RouteGraph g = CompileGraph(r.model, GetProfile(ProfileId::kSpec));
  Diagnostics d;
  RunChecks(g, {}, &d);
  bool cycle = false;
  for (const auto& x : d.items()) {
    if (x.code == DiagCode::MP3009 && x.severity == Severity::kError) cycle = true;
  }
  EXPECT_TRUE(cycle) << testing::Codes(d);
}

TEST(CheckDetails, ServedVersionsPerProfile) {
  std::string y = kStore + kRoutes + kAllow +
                  "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\nmetadata: {name: s, "
                  "namespace: shop}\n"
                  "spec: {service: store, backends: [{service: web, weight: 1}]}\n";
  LoadResult r = LoadTexts({{"mesh.yaml", y}});
  Diagnostics spec, osm;
  RunChecks(CompileGraph(r.model, GetProfile(ProfileId::kSpec)), {}, &spec);
  RunChecks(CompileGraph(r.model, GetProfile(ProfileId::kOsm)), {}, &osm);
  EXPECT_FALSE(spec.Has(DiagCode::MP0003)) << testing::Codes(spec);
  ASSERT_TRUE(osm.Has(DiagCode::MP0003)) << testing::Codes(osm);  // OSM serves split v1alpha2 only
}

// Permissive mode (OSM enablePermissiveTrafficPolicyMode): every request is allowed, the
// TrafficTarget findings stay as warnings that say they are not enforced, and findings
// that only mean something under enforcement are not produced.
TEST(CheckDetails, PermissiveModeAdjustsAccessFindings) {
  // web may call store on GET /api only; store's workload `cache` has no policy (MP1010);
  // a rule names a route group that does not exist (MP1001, an error when enforced).
  std::string y =
      kStore + App("shop", "cache", "cache") + kRoutes + kAllow +
      Target("shop", "broken", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: missing}]");
  LoadResult r = LoadTexts({{"mesh.yaml", y}});
  Diagnostics enforced, permissive;
  const RouteGraph g0 = CompileGraph(r.model, GetProfile(ProfileId::kOsm));
  const RouteGraph g1 = CompileGraph(r.model, GetProfile(ProfileId::kOsm, true));
  RunChecks(g0, {}, &enforced);
  RunChecks(g1, {}, &permissive);
  ASSERT_TRUE(enforced.Has(DiagCode::MP1001)) << testing::Codes(enforced);
  ASSERT_TRUE(enforced.Has(DiagCode::MP1010)) << testing::Codes(enforced);
  EXPECT_FALSE(permissive.Has(DiagCode::MP1010)) << testing::Codes(permissive);
  EXPECT_FALSE(permissive.Has(DiagCode::MP1009)) << testing::Codes(permissive);
  for (const Diagnostic& d : permissive.items()) {
    if (d.code != DiagCode::MP1001) continue;
    EXPECT_EQ(d.severity, Severity::kWarning);
    EXPECT_NE(d.message.find("permissive mode: TrafficTargets are not enforced"),
              std::string::npos);
  }
  EXPECT_TRUE(permissive.Has(DiagCode::MP1001));
  // The policy itself: store admits web on any request, and cache admits store.
  const IdentityId web = g1.FindIdentity("shop", "web");
  const IdentityId store = g1.FindIdentity("shop", "store");
  const IdentityId cache = g1.FindIdentity("shop", "cache");
  EXPECT_EQ(g0.Access(store, cache, 8080, PortProtocol::kHttp).level, PortAccess::Level::kNone);
  EXPECT_EQ(g1.Access(store, cache, 8080, PortProtocol::kHttp).level, PortAccess::Level::kAll);
  EXPECT_EQ(g0.Access(web, store, 8080, PortProtocol::kHttp).level, PortAccess::Level::kSomeRoutes);
  EXPECT_EQ(g1.Access(web, store, 8080, PortProtocol::kHttp).level, PortAccess::Level::kAll);
}

TEST(CheckDetails, PermissiveIsNeverTheDefault) {
  for (const Profile& p : AllProfiles()) EXPECT_FALSE(p.permissive) << p.name;
  EXPECT_TRUE(GetProfile(ProfileId::kOsm, true).permissive);
  EXPECT_FALSE(GetProfile(ProfileId::kOsm, true).EnforcesAccess());
  EXPECT_TRUE(GetProfile(ProfileId::kOsm).EnforcesAccess());
  EXPECT_FALSE(GetProfile(ProfileId::kLinkerd).EnforcesAccess());
}

}  // namespace
}  // namespace meshproof
