// Reachability, profiles as data, query and intents.
#include "meshproof/solver/reach.h"

#include "test_mesh.h"
#include <gtest/gtest.h>

#include "meshproof/engine/config.h"
#include "meshproof/engine/names.h"
#include "meshproof/solver/intents.h"
#include "meshproof/solver/query.h"

namespace meshproof {
namespace {

using testing::App;
using testing::Routes;
using testing::Split;
using testing::Target;

struct Fixture {
  explicit Fixture(const std::string& yaml, ProfileId p = ProfileId::kSpec)
      : loaded(LoadTexts({{"mesh.yaml", yaml}})),
        graph(CompileGraph(loaded.model, GetProfile(p))) {}
  ReachEntry Reach(const std::string& src, const std::string& svc, int port) const {
    const NamespacedName s = *NamespacedName::Parse(src);
    const NamespacedName d = *NamespacedName::Parse(svc);
    IdentityId id = graph.FindIdentity(s.namespace_, s.name);
    ServiceId sid = graph.FindService(d.namespace_, d.name);
    EXPECT_NE(id, kNoId) << src;
    EXPECT_NE(sid, kNoId) << svc;
    return EvaluateReach(graph, id, sid, port);
  }
  LoadResult loaded;
  RouteGraph graph;
};

const std::string kRoutes =
    Routes("shop", "r", "[{name: api, pathRegex: /api, methods: [GET]}, {name: all}]");

std::string Canary(int v1, int v2, bool cover_v2) {
  std::string y =
      App("shop", "web", "web") + App("shop", "store", "store", 3, "v1") +
      App("shop", "store", "store-canary", 1, "v2") + kRoutes +
      "apiVersion: v1\nkind: Service\nmetadata: {name: store, namespace: shop}\nspec:\n"
      "  selector: {app: store}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n" +
      Split("shop", "s", "store",
            "[{service: store-v1, weight: " + std::to_string(v1) +
                "}, {service: store-v2, weight: " + std::to_string(v2) + "}]") +
      Target("shop", "t1", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]");
  if (cover_v2)
    y += Target("shop", "t2", "shop/store-canary", "shop/web", "[{kind: HTTPRouteGroup, name: r}]");
  return y;
}

TEST(ReachTest, SplitSharesDecideThePartialVerdict) {
  Fixture f(Canary(90, 10, false));
  ReachEntry e = f.Reach("shop/web", "shop/store", 80);
  EXPECT_EQ(e.verdict, Verdict::kPartial);
  EXPECT_NEAR(e.denied_share, 0.10, 1e-12);
  Fixture covered(Canary(90, 10, true));
  EXPECT_EQ(covered.Reach("shop/web", "shop/store", 80).verdict, Verdict::kAllow);
  Fixture zero(Canary(100, 0, false));  // weight 0: the canary gets nothing, nothing fails
  EXPECT_EQ(zero.Reach("shop/web", "shop/store", 80).verdict, Verdict::kAllow);
}

TEST(ReachTest, WithoutSplitReplicasWeighTheEndpoints) {
  // The root selects v1 (3 replicas, allowed) and v2 (1 replica, denied): 25% fail.
  std::string y = Canary(90, 10, false);
  y = y.substr(0, y.find("apiVersion: split.smi-spec.io")) +
      Target("shop", "t1", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]");
  Fixture f(y);
  ReachEntry e = f.Reach("shop/web", "shop/store", 80);
  EXPECT_EQ(e.verdict, Verdict::kPartial);
  EXPECT_NEAR(e.denied_share, 0.25, 1e-12);
}

TEST(ReachTest, NamedTargetPortResolvesPerWorkload) {
  std::string y =
      App("shop", "web", "web") +
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  "
      "template:\n"
      "    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: api\n"
      "      containers: [{name: c, ports: [{name: web, containerPort: 9090}]}]\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: "
      "{app: api}\n"
      "  ports: [{name: http, port: 80, targetPort: web}]\n---\n"
      "apiVersion: access.smi-spec.io/v1alpha2\nkind: TrafficTarget\nmetadata: {name: t, "
      "namespace: shop}\nspec:\n"
      "  destination: {kind: ServiceAccount, name: api, namespace: shop, port: 9090}\n"
      "  rules: [{kind: TCPRoute, name: tcp}]\n  sources: [{kind: ServiceAccount, name: web, "
      "namespace: shop}]\n---\n"
      "apiVersion: specs.smi-spec.io/v1alpha3\nkind: TCPRoute\nmetadata: {name: tcp, namespace: "
      "shop}\nspec: {}\n";
  Fixture f(y);
  ReachEntry e = f.Reach("shop/web", "shop/api", 80);
  EXPECT_EQ(e.verdict, Verdict::kAllow);  // the v1alpha2 port is the pod port 9090
  ASSERT_EQ(e.receivers.size(), 1u);
  EXPECT_EQ(e.receivers[0].target_port, 9090);
}

TEST(ProfileTest, RuleWithoutMatchesSpecAllowsOsmDenies) {
  std::string y =
      App("shop", "web", "web") + App("shop", "store", "store") + kRoutes +
      Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]");
  EXPECT_EQ(Fixture(y).Reach("shop/web", "shop/store", 80).verdict, Verdict::kAllow);
  EXPECT_EQ(Fixture(y, ProfileId::kOsm).Reach("shop/web", "shop/store", 80).verdict,
            Verdict::kDeny);
}

TEST(ProfileTest, TcpOnlyTargetOnHttpPort) {
  std::string y = App("shop", "web", "web") + App("shop", "store", "store") +
                  "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: tcp, "
                  "namespace: shop}\n"
                  "spec: {matches: {ports: []}}\n---\n" +
                  Target("shop", "t", "shop/store", "shop/web", "[{kind: TCPRoute, name: tcp}]");
  EXPECT_EQ(Fixture(y).Reach("shop/web", "shop/store", 80).verdict, Verdict::kAllow);
  EXPECT_EQ(Fixture(y, ProfileId::kOsm).Reach("shop/web", "shop/store", 80).verdict,
            Verdict::kDeny);
}

TEST(ProfileTest, TcpRoutePortsFilterTcpPorts) {
  auto mesh = [](int port) {
    return App("db", "app", "app") + App("db", "mysql", "mysql", 1, "", "tcp-mysql", 3306, 3306) +
           "apiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata: {name: tcp, "
           "namespace: db}\n"
           "spec: {matches: {ports: [" +
           std::to_string(port) + "]}}\n---\n" +
           Target("db", "t", "db/mysql", "db/app", "[{kind: TCPRoute, name: tcp}]");
  };
  EXPECT_EQ(Fixture(mesh(3306)).Reach("db/app", "db/mysql", 3306).verdict, Verdict::kAllow);
  EXPECT_EQ(Fixture(mesh(3307)).Reach("db/app", "db/mysql", 3306).verdict, Verdict::kDeny);
}

TEST(ProfileTest, NamespaceMismatchIgnoredByOsm) {
  std::string y = App("shop", "web", "web") + App("shop", "store", "store") +
                  Routes("other", "r", "[{name: all}]") +
                  Target("other", "t", "shop/store", "shop/web",
                         "[{kind: HTTPRouteGroup, name: r, matches: [all]}]");
  EXPECT_EQ(Fixture(y).Reach("shop/web", "shop/store", 80).verdict, Verdict::kAllow);
  EXPECT_EQ(Fixture(y, ProfileId::kOsm).Reach("shop/web", "shop/store", 80).verdict,
            Verdict::kDeny);
}

TEST(ProfileTest, EmptyRulesTraefikAllowsAll) {
  std::string y = App("shop", "web", "web") + App("shop", "store", "store") +
                  "apiVersion: access.smi-spec.io/v1alpha2\nkind: TrafficTarget\nmetadata: {name: "
                  "t, namespace: shop}\n"
                  "spec:\n  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
                  "  sources: [{kind: ServiceAccount, name: web, namespace: shop}]\n";
  EXPECT_EQ(Fixture(y).Reach("shop/web", "shop/store", 80).verdict, Verdict::kDeny);
  EXPECT_EQ(Fixture(y, ProfileId::kTraefik).Reach("shop/web", "shop/store", 80).verdict,
            Verdict::kAllow);
}

TEST(ProfileTest, LinkerdDoesNotEnforceSmiAccess) {
  std::string y = App("shop", "web", "web") + App("shop", "store", "store");
  EXPECT_EQ(Fixture(y).Reach("shop/web", "shop/store", 80).verdict, Verdict::kDeny);
  EXPECT_EQ(Fixture(y, ProfileId::kLinkerd).Reach("shop/web", "shop/store", 80).verdict,
            Verdict::kAllow);
}

TEST(ProfileTest, RootFormsPerProfile) {
  EXPECT_EQ(ResolveRootName("web", "shop", RootForm::kShortOnly), "web");
  EXPECT_EQ(ResolveRootName("web.shop", "shop", RootForm::kShortOnly), std::nullopt);
  EXPECT_EQ(
      ResolveRootName("web.shop.svc.cluster.local", "shop", RootForm::kShortOrSameNamespaceFqdn),
      "web");
  EXPECT_EQ(ResolveRootName("web.other", "shop", RootForm::kShortOrSameNamespaceFqdn),
            std::nullopt);
  EXPECT_EQ(ResolveRootName("web.other", "shop", RootForm::kAnyIgnoreNamespace), "web");
}

TEST(ProfileTest, SeveralSplitsOneRoot) {
  // OSM serves split v1alpha2 only: write the splits in that version.
  std::string y =
      Canary(90, 10, true) + Split("shop", "z-second", "store", "[{service: store-v2, weight: 1}]");
  for (auto pos = y.find("split.smi-spec.io/v1alpha4"); pos != std::string::npos;
       pos = y.find("split.smi-spec.io/v1alpha4")) {
    y.replace(pos, 26, "split.smi-spec.io/v1alpha2");
  }
  Fixture spec(y);
  Fixture osm_graph(y, ProfileId::kOsm);
  ServiceId root = spec.graph.FindService("shop", "store");
  EXPECT_EQ(spec.graph.AppliedSplit(root), nullptr);  // ambiguous: none applies
  ASSERT_NE(osm_graph.graph.AppliedSplit(osm_graph.graph.FindService("shop", "store")), nullptr);
}

TEST(ProfilesAreData, EveryProfileNamedAndParsed) {
  for (const Profile& p : AllProfiles()) {
    EXPECT_EQ(ParseProfileName(p.name), p.id);
    EXPECT_NE(std::string(p.description), "");
  }
  EXPECT_FALSE(ParseProfileName("istio").has_value());
}

// --- query ---------------------------------------------------------------------------

const std::string kQueryMesh =
    App("shop", "web", "web") + App("shop", "store", "store") +
    Routes("shop", "r",
           "[{name: books, pathRegex: /books, methods: [GET]}, "
           "{name: android, methods: [\"*\"], headers: [{user-agent: \"Android\"}]}]") +
    Target("shop", "t", "shop/store", "shop/web",
           "[{kind: HTTPRouteGroup, name: r, matches: [books, android]}]");

QueryAnswer Ask(const std::string& yaml, ProfileId p, QueryRequest q) {
  Fixture f(yaml, p);
  return Query(f.graph, q);
}

TEST(QueryTest, PathAnchoringDependsOnProfile) {
  QueryRequest q{"shop/web", "shop/store", "", std::nullopt, "GET", "/books/42", {}, true};
  EXPECT_EQ(Ask(kQueryMesh, ProfileId::kSpec, q).verdict, Verdict::kAllow);  // prefix
  EXPECT_EQ(Ask(kQueryMesh, ProfileId::kOsm, q).verdict, Verdict::kDeny);    // full match
  q.path = "/books";
  EXPECT_EQ(Ask(kQueryMesh, ProfileId::kOsm, q).verdict, Verdict::kAllow);
}

TEST(QueryTest, MethodAndHeaders) {
  QueryRequest q{"shop/web", "shop/store", "", 80, "POST", "/books", {}, true};
  QueryAnswer a = Ask(kQueryMesh, ProfileId::kSpec, q);
  EXPECT_EQ(a.verdict, Verdict::kDeny);
  ASSERT_EQ(a.ports.size(), 1u);
  ASSERT_FALSE(a.ports[0].lacks.empty());
  EXPECT_NE(a.ports[0].lacks[0].find("method POST not allowed"), std::string::npos)
      << a.ports[0].lacks[0];
  // Header search (Traefik) admits a substring; full match (spec) does not. Traefik Mesh
  // serves access v1alpha2 and specs v1alpha3, so write the mesh in those versions.
  q.headers = {{"User-Agent", "Mozilla Android 14"}};
  EXPECT_EQ(Ask(kQueryMesh, ProfileId::kSpec, q).verdict, Verdict::kDeny);
  std::string traefik = kQueryMesh;
  traefik.replace(traefik.find("access.smi-spec.io/v1alpha3"), 27, "access.smi-spec.io/v1alpha2");
  traefik.replace(traefik.find("specs.smi-spec.io/v1alpha4"), 26, "specs.smi-spec.io/v1alpha3");
  EXPECT_EQ(Ask(traefik, ProfileId::kTraefik, q).verdict, Verdict::kAllow);
  EXPECT_EQ(Ask(kQueryMesh, ProfileId::kTraefik, q).verdict,
            Verdict::kDeny);  // v1alpha3 not served
}

TEST(QueryTest, OpenFieldsAskWhetherAnythingIsAllowed) {
  QueryAnswer a = Ask(kQueryMesh, ProfileId::kSpec,
                      QueryRequest{"shop/web", "shop/store", "", {}, {}, {}, {}, false});
  EXPECT_EQ(a.verdict, Verdict::kAllow);
  EXPECT_EQ(a.witness.port, 80);
  ASSERT_EQ(a.ports.size(), 1u);
  ASSERT_FALSE(a.ports[0].because.empty());
  EXPECT_EQ(a.ports[0].because[0].traffic_target, "shop/t");
}

TEST(QueryTest, DenyExplainsTheNearestGrants) {
  QueryAnswer a = Ask(kQueryMesh, ProfileId::kSpec,
                      QueryRequest{"shop/store", "shop/store", "", {}, {}, {}, {}, false});
  EXPECT_EQ(a.verdict, Verdict::kDeny);
  ASSERT_FALSE(a.ports.empty());
  EXPECT_NE(a.ports[0].lacks[0].find("allows other sources (shop/web)"), std::string::npos)
      << a.ports[0].lacks[0];
  QueryAnswer none = Ask(kQueryMesh, ProfileId::kSpec,
                         QueryRequest{"shop/store", "shop/web", "", {}, {}, {}, {}, false});
  EXPECT_NE(none.ports[0].lacks[0].find("no TrafficTarget names shop/web"), std::string::npos);
  QueryAnswer missing = Ask(kQueryMesh, ProfileId::kSpec,
                            QueryRequest{"shop/web", "shop/nope", "", {}, {}, {}, {}, false});
  EXPECT_EQ(missing.verdict, Verdict::kDeny);
  EXPECT_NE(missing.problem.find("does not exist"), std::string::npos);
}

TEST(QueryTest, ToIdentity) {
  QueryAnswer a = Ask(kQueryMesh, ProfileId::kSpec,
                      QueryRequest{"shop/web", "", "shop/store", 8080, "GET", "/books", {}, false});
  EXPECT_EQ(a.verdict, Verdict::kAllow);
}

// --- intents -----------------------------------------------------------------------------

Diagnostics CheckIntentsOn(const std::string& yaml, const std::string& config) {
  Fixture f(yaml);
  auto c = ParseConfig(config, ".meshproof.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  Diagnostics d;
  CheckIntents(f.graph, c->intents, &d);
  return d;
}

TEST(IntentTest, AllowHeldAndViolated) {
  Diagnostics ok = CheckIntentsOn(
      kQueryMesh,
      "intents:\n- allow: {from: shop/web, to: shop/store, method: GET, path: /books}\n");
  EXPECT_TRUE(ok.empty()) << testing::Codes(ok);
  Diagnostics bad = CheckIntentsOn(
      kQueryMesh,
      "intents:\n- allow: {from: shop/web, to: shop/store, method: DELETE, path: /books}\n");
  ASSERT_EQ(bad.Count(DiagCode::MP5001), 1u) << testing::Codes(bad);
  EXPECT_NE(bad.items()[0].message.find("method DELETE not allowed"), std::string::npos)
      << bad.items()[0].message;
  ASSERT_TRUE(bad.items()[0].witness.has_value());
  EXPECT_EQ(bad.items()[0].location.line, 2u);
}

TEST(IntentTest, DenyHeldAndViolated) {
  Diagnostics ok = CheckIntentsOn(
      kQueryMesh, "intents:\n- deny: {from: \"*\", to: shop/store, except: [shop/web]}\n");
  EXPECT_TRUE(ok.empty()) << testing::Codes(ok);
  Diagnostics bad =
      CheckIntentsOn(kQueryMesh, "intents:\n- deny: {from: shop/web, to: shop/store}\n");
  ASSERT_EQ(bad.Count(DiagCode::MP5002), 1u) << testing::Codes(bad);
  EXPECT_NE(bad.items()[0].message.find("TrafficTarget shop/t"), std::string::npos)
      << bad.items()[0].message;
  ASSERT_EQ(bad.items()[0].related.size(), 1u);
  EXPECT_EQ(bad.items()[0].related[0].name, "t");
}

TEST(IntentTest, OpenPathIsDecidedByTheSolver) {
  // The only granted match's pathRegex lacks the leading '/': no request path matches it,
  // so nothing is allowed and the deny intent holds; with the slash it is violated, and
  // the witness is a path the solver found for the open field.
  auto mesh = [](const std::string& regex) {
    return App("shop", "web", "web") + App("shop", "store", "store") +
           Routes("shop", "r", "[{name: m, pathRegex: \"" + regex + "\", methods: [GET]}]") +
           Target("shop", "t", "shop/store", "shop/web",
                  "[{kind: HTTPRouteGroup, name: r, matches: [m]}]");
  };
  const std::string intent = "intents:\n- deny: {from: shop/web, to: shop/store}\n";
  EXPECT_TRUE(CheckIntentsOn(mesh("books/[0-9]+"), intent).empty());
  Diagnostics bad = CheckIntentsOn(mesh("/books/[0-9]+"), intent);
  ASSERT_EQ(bad.Count(DiagCode::MP5002), 1u) << testing::Codes(bad);
  ASSERT_TRUE(bad.items()[0].witness.has_value());
  EXPECT_EQ(bad.items()[0].witness->path, "/books/0");
  EXPECT_EQ(bad.items()[0].witness->method, "GET");
  // allow with an open path holds when some path is allowed, and fails when none can be.
  const std::string allow = "intents:\n- allow: {from: shop/web, to: shop/store, method: GET}\n";
  EXPECT_TRUE(CheckIntentsOn(mesh("/books/[0-9]+"), allow).empty());
  EXPECT_EQ(CheckIntentsOn(mesh("books/[0-9]+"), allow).Count(DiagCode::MP5001), 1u);
}

TEST(ConfigTest, ErrorsNameFileAndLine) {
  auto bad = ParseConfig("profile: osm\nsuppress: [MP9999]\n", "cfg.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cfg.yaml:2:"), std::string::npos)
      << bad.status().message();
  auto unknown = ParseConfig("colour: blue\n", "cfg.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown setting 'colour'"), std::string::npos);
  auto good = ParseConfig(
      "profile: osm\nrequireWeightSum: 100\nseverity: {MP1010: off, MP1009: error}\n"
      "suppress: [MP0006, MP3011=TrafficSplit/shop/web]\n",
      "cfg.yaml");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->profile, "osm");
  EXPECT_EQ(good->require_weight_sum, 100.0);
  EXPECT_FALSE(good->severity.at(DiagCode::MP1010).has_value());
  EXPECT_EQ(good->severity.at(DiagCode::MP1009), Severity::kError);
  ASSERT_EQ(good->suppressions.size(), 2u);
  Diagnostic d;
  d.code = DiagCode::MP3011;
  d.resource = ObjectRef{"TrafficSplit", "shop", "web"};
  EXPECT_TRUE(good->suppressions[1].Matches(d));
  d.resource->name = "other";
  EXPECT_FALSE(good->suppressions[1].Matches(d));
}

}  // namespace
}  // namespace meshproof
