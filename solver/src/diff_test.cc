// Semantic diff: grants, revokes, both, a widened regex, a new source, a moved object, a
// reweighted split, a no-op refactor, profile-dependent changes; every witness re-checked
// on both sides.
#include "meshproof/solver/diff.h"

#include <cmath>
#include <set>

#include "test_mesh.h"
#include <gtest/gtest.h>

#include "meshproof/engine/graph.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/verify.h"

namespace meshproof {
namespace {

using testing::App;
using testing::Routes;
using testing::Split;
using testing::Target;

const std::string kApps =
    App("shop", "web", "web") + App("shop", "store", "store") + App("shop", "admin", "admin");

DiffResult DiffOf(const std::string& before, const std::string& after,
                  ProfileId p = ProfileId::kSpec, LoadResult* keep_base = nullptr,
                  LoadResult* keep_next = nullptr) {
  LoadResult b = LoadTexts({{"mesh.yaml", before}});
  LoadResult n = LoadTexts({{"mesh.yaml", after}});
  DiffOptions o;
  o.profile = p;
  DiffResult r = Diff(b, n, o);
  // Every witness: the claimed verdicts hold when the request is evaluated on each side.
  RouteGraph g0 = CompileGraph(b.model, GetProfile(p)), g1 = CompileGraph(n.model, GetProfile(p));
  for (const SliceChange& s : r.slices) {
    for (const auto* ex : {s.grant ? &*s.grant : nullptr, s.revoke ? &*s.revoke : nullptr}) {
      if (!ex) continue;
      QueryRequest q{
          ex->request.source,
          ex->request.destination,
          "",
          ex->request.port,
          ex->request.method.empty() ? std::nullopt
                                     : std::optional<std::string>(ex->request.method),
          ex->request.path.empty() ? std::nullopt : std::optional<std::string>(ex->request.path),
          ex->request.headers,
          true};
      EXPECT_EQ(Query(g0, q).verdict, ex->base_verdict) << s.source << " -> " << s.destination;
      EXPECT_EQ(Query(g1, q).verdict, ex->new_verdict) << s.source << " -> " << s.destination;
      // A witness tells the sides apart: by verdict, or by the share of its requests allowed.
      EXPECT_GT(std::abs(ex->base_allowed_share - ex->new_allowed_share), 1e-9)
          << s.source << " -> " << s.destination;
    }
  }
  if (keep_base) *keep_base = std::move(b);
  if (keep_next) *keep_next = std::move(n);
  return r;
}

const std::string kRoutes =
    Routes("shop", "r", "[{name: v1, pathRegex: \"/api/v1/.*\", methods: [GET]}]");
const std::string kGrant =
    Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: r}]");

TEST(DiffTest, GrantedRevokedBoth) {
  DiffResult grant = DiffOf(kApps + kRoutes, kApps + kRoutes + kGrant);
  EXPECT_EQ(grant.verdict, DiffVerdict::kMorePermissive);
  ASSERT_EQ(grant.slices.size(), 1u);
  EXPECT_TRUE(grant.slices[0].granted);
  EXPECT_EQ(grant.slices[0].grant->request.path.rfind("/api/v1/", 0), 0u);
  EXPECT_EQ(grant.slices[0].grant->new_objects, std::vector<std::string>{"shop/t"});

  DiffResult revoke = DiffOf(kApps + kRoutes + kGrant, kApps + kRoutes);
  EXPECT_EQ(revoke.verdict, DiffVerdict::kLessPermissive);
  ASSERT_EQ(revoke.slices.size(), 1u);
  EXPECT_TRUE(revoke.slices[0].revoked);
  EXPECT_EQ(revoke.slices[0].revoke->base_objects, std::vector<std::string>{"shop/t"});

  // Moving the grant from store to admin: revoked on one Service, granted on another.
  DiffResult both = DiffOf(
      kApps + kRoutes + kGrant,
      kApps + kRoutes +
          Target("shop", "t", "shop/admin", "shop/web", "[{kind: HTTPRouteGroup, name: r}]"));
  EXPECT_EQ(both.verdict, DiffVerdict::kIncomparable);
  EXPECT_EQ(both.slices.size(), 2u);
}

TEST(DiffTest, RegexWidenedGivesAWitnessInTheNewPartOnly) {
  std::string wide = Routes("shop", "r", "[{name: v1, pathRegex: \"/api/.*\", methods: [GET]}]");
  DiffResult r = DiffOf(kApps + kRoutes + kGrant, kApps + wide + kGrant);
  EXPECT_EQ(r.verdict, DiffVerdict::kMorePermissive);
  ASSERT_EQ(r.slices.size(), 1u);
  const std::string& path = r.slices[0].grant->request.path;
  EXPECT_EQ(path.rfind("/api/", 0), 0u) << path;
  EXPECT_NE(path.rfind("/api/v1/", 0), 0u) << path;  // outside what was already allowed
  EXPECT_EQ(r.slices[0].grant->base_verdict, Verdict::kDeny);
}

TEST(DiffTest, SourceAdded) {
  std::string two =
      "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: {name: t, "
      "namespace: shop}\n"
      "spec:\n  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
      "  rules: [{kind: HTTPRouteGroup, name: r}]\n"
      "  sources: [{kind: ServiceAccount, name: web, namespace: shop}, {kind: ServiceAccount, "
      "name: admin, namespace: shop}]\n";
  DiffResult r = DiffOf(kApps + kRoutes + kGrant, kApps + kRoutes + two);
  EXPECT_EQ(r.verdict, DiffVerdict::kMorePermissive);
  ASSERT_EQ(r.slices.size(), 1u);
  EXPECT_EQ(r.slices[0].source, "shop/admin");
}

TEST(DiffTest, MovedToAnotherFileIsEqual) {
  LoadResult b = LoadTexts({{"a.yaml", kApps + kRoutes + kGrant}});
  LoadResult n =
      LoadTexts({{"a.yaml", kApps + kRoutes}, {"policy/grant.yaml", "# moved here\n\n" + kGrant}});
  DiffResult r = Diff(b, n, {});
  EXPECT_EQ(r.verdict, DiffVerdict::kEqual);
  EXPECT_TRUE(r.changed_objects.empty());
  EXPECT_EQ(r.slices_examined, 0u);  // nothing changed: no slice is even looked at
}

TEST(DiffTest, NoOpRefactorIsEqual) {
  // Rename the route group and update the reference; split a match list into its own file.
  std::string renamed =
      Routes("shop", "store-routes", "[{name: v1, pathRegex: \"/api/v1/.*\", methods: [GET]}]") +
      Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: store-routes}]");
  DiffResult r = DiffOf(kApps + kRoutes + kGrant, kApps + renamed);
  EXPECT_EQ(r.verdict, DiffVerdict::kEqual) << (r.slices.empty() ? "" : r.slices[0].source);
  EXPECT_FALSE(r.changed_objects.empty());
  EXPECT_GT(r.slices_examined, 0u);
  EXPECT_EQ(r.slices_structural, r.slices_examined);  // proved equal without Z3
}

TEST(DiffTest, SplitReweighted) {
  std::string base = App("shop", "web", "web") + App("shop", "store", "store", 1, "v1") +
                     App("shop", "store", "store-canary", 1, "v2") + kRoutes +
                     "apiVersion: v1\nkind: Service\nmetadata: {name: store, namespace: "
                     "shop}\nspec:\n  selector: {app: store}\n"
                     "  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n" +
                     kGrant;
  DiffResult r =
      DiffOf(base + Split("shop", "s", "store",
                          "[{service: store-v1, weight: 90}, {service: store-v2, weight: 10}]"),
             base + Split("shop", "s", "store",
                          "[{service: store-v1, weight: 50}, {service: store-v2, weight: 50}]"));
  ASSERT_EQ(r.shares.size(), 1u);
  EXPECT_EQ(r.shares[0].root, "shop/store");
  ASSERT_EQ(r.shares[0].backends.size(), 2u);
  EXPECT_NEAR(r.shares[0].backends[1].base_share, 0.1, 1e-12);
  EXPECT_NEAR(r.shares[0].backends[1].new_share, 0.5, 1e-12);
  // The canary runs as store-canary, which no grant covers: more of web's requests fail.
  EXPECT_EQ(r.verdict, DiffVerdict::kLessPermissive);
  ASSERT_FALSE(r.slices.empty());
  EXPECT_NEAR(r.slices[0].revoke->base_allowed_share, 0.9, 1e-9);
  EXPECT_NEAR(r.slices[0].revoke->new_allowed_share, 0.5, 1e-9);
}

TEST(DiffTest, ProfileDependentChange) {
  // Listing the group's only match explicitly changes nothing for the spec (a rule without
  // matches already grants all of them) but grants access under OSM (where it granted nothing).
  std::string listed = Target("shop", "t", "shop/store", "shop/web",
                              "[{kind: HTTPRouteGroup, name: r, matches: [v1]}]");
  EXPECT_EQ(DiffOf(kApps + kRoutes + kGrant, kApps + kRoutes + listed, ProfileId::kSpec).verdict,
            DiffVerdict::kEqual);
  EXPECT_EQ(DiffOf(kApps + kRoutes + kGrant, kApps + kRoutes + listed, ProfileId::kOsm).verdict,
            DiffVerdict::kMorePermissive);
}

TEST(DiffTest, FindingsNewAndFixed) {
  std::string broken =
      kApps + kRoutes +
      Target("shop", "t", "shop/store", "shop/web", "[{kind: HTTPRouteGroup, name: gone}]");
  DiffResult r = DiffOf(broken, kApps + kRoutes + kGrant);
  bool fixed = std::any_of(r.fixed_findings.begin(), r.fixed_findings.end(),
                           [](const FindingRef& f) { return f.code == DiagCode::MP1001; });
  EXPECT_TRUE(fixed);
  DiffResult back = DiffOf(kApps + kRoutes + kGrant, broken);
  bool added = std::any_of(back.new_findings.begin(), back.new_findings.end(),
                           [](const FindingRef& f) { return f.code == DiagCode::MP1001; });
  EXPECT_TRUE(added);
}

// The findings diff re-checks only the region a change can affect; it must report exactly
// what comparing two full verifies reports.
TEST(DiffTest, ScopedFindingsEqualFullVerifies) {
  std::string other =
      App("ops", "mon", "mon") +
      Routes("ops", "r", "[{name: m, pathRegex: /metrics, methods: [GET]}]") +
      Target("ops", "t", "ops/mon", "shop/web", "[{kind: HTTPRouteGroup, name: r}]");
  std::vector<std::pair<std::string, std::string>> changes = {
      {kApps + kRoutes + kGrant + other,
       kApps + Routes("shop", "r", "[{name: v1, pathRegex: /api, methods: [GET]}]") + kGrant +
           other},
      {kApps + kRoutes + kGrant + other, kApps + kRoutes + other},
      {kApps + kRoutes + other,
       kApps + kRoutes + kGrant + other + Routes("shop", "dup", "[{name: a}, {name: a}]")},
  };
  auto key = [](const std::string& code, const std::optional<ObjectRef>& res,
                const std::string& msg) {
    return code + "|" + (res ? res->kind + "/" + res->namespace_ + "/" + res->name : "") + "|" +
           msg;
  };
  for (const auto& [before, after] : changes) {
    LoadResult b = LoadTexts({{"mesh.yaml", before}}), n = LoadTexts({{"mesh.yaml", after}});
    DiffResult d = Diff(b, n, {});
    Diagnostics full0 = Verify(b, {}), full1 = Verify(n, {});
    std::multiset<std::string> k0, k1, expected_new, expected_fixed, got_new, got_fixed;
    for (const auto& x : full0.items()) k0.insert(key(InfoOf(x.code).id, x.resource, x.message));
    for (const auto& x : full1.items()) k1.insert(key(InfoOf(x.code).id, x.resource, x.message));
    for (const auto& x : k1) {
      if (!k0.count(x)) expected_new.insert(x);
    }
    for (const auto& x : k0) {
      if (!k1.count(x)) expected_fixed.insert(x);
    }
    for (const auto& f : d.new_findings)
      got_new.insert(key(InfoOf(f.code).id, f.resource, f.message));
    for (const auto& f : d.fixed_findings)
      got_fixed.insert(key(InfoOf(f.code).id, f.resource, f.message));
    EXPECT_EQ(got_new, expected_new);
    EXPECT_EQ(got_fixed, expected_fixed);
    EXPECT_FALSE(got_new.empty() && got_fixed.empty()) << "each change must move some finding";
  }
}

}  // namespace
}  // namespace meshproof
