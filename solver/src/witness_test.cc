// Random queries on generated meshes: every witness the solver produces must be allowed
// when evaluated concretely (RE2, exact headers) under the same profile.
#include <iostream>
#include <random>

#include "mesh_gen.h"
#include <gtest/gtest.h>

#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"
#include "meshproof/solver/route_solver.h"

namespace meshproof {
namespace {

TEST(WitnessTest, EveryWitnessIsConcretelyAllowed) {
  bench::MeshGenOptions o;
  o.services = 60;
  o.namespaces = 3;
  o.matches_per_group = 4;
  LoadResult loaded = LoadTexts({{"gen.yaml", bench::GenerateMeshYaml(o)}});
  ASSERT_TRUE(loaded.diagnostics.empty());
  std::mt19937_64 rng(7);
  const char* methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
  int queries = 0, witnesses = 0;
  for (ProfileId pid : {ProfileId::kSpec, ProfileId::kOsm}) {
    RouteGraph g = CompileGraph(loaded.model, GetProfile(pid));
    for (int i = 0; i < 1000; ++i) {
      ServiceId sid = static_cast<ServiceId>(rng() % g.services().size());
      std::vector<IdentityId> sources = CandidateSources(g, sid);
      if (sources.empty()) continue;
      QueryRequest q;
      q.from = g.identities()[sources[rng() % sources.size()]].key();
      q.to = g.services()[sid].key();
      if (rng() % 2) q.method = methods[rng() % 5];
      QueryAnswer a = Query(g, q);
      ++queries;
      ASSERT_FALSE(a.unknown) << q.from << " -> " << q.to;
      if (a.verdict == Verdict::kDeny) continue;
      ++witnesses;
      // Replay the witness as a concrete request carrying exactly its headers.
      QueryRequest replay;
      replay.from = a.witness.source;
      replay.to = a.witness.destination;
      replay.port = a.witness.port;
      replay.method = a.witness.method;
      replay.path = a.witness.path;
      replay.headers = a.witness.headers;
      replay.exact_headers = true;
      QueryAnswer r = Query(g, replay);
      ASSERT_NE(r.verdict, Verdict::kDeny)
          << GetProfile(pid).name << ": witness " << a.witness.method << " " << a.witness.path
          << " for " << q.from << " -> " << q.to << " is denied when replayed";
      if (!a.witness.method.empty()) {  // HTTP: a request path; TCP witnesses carry none
        ASSERT_FALSE(a.witness.path.empty()) << q.from << " -> " << q.to;
        ASSERT_EQ(a.witness.path[0], '/');
      }
    }
  }
  EXPECT_EQ(queries, 2000);
  EXPECT_GT(witnesses, 500);
}

}  // namespace
}  // namespace meshproof

namespace meshproof {
namespace {

// The verdict for a concrete request, with every path and header membership decided by
// Z3 (the translated languages) instead of RE2.
Verdict Z3Verdict(const RouteGraph& g, RouteSolver& solver, IdentityId src, ServiceId sid, int port,
                  const std::string& method, const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& headers) {
  const Profile& p = g.profile();
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  double allowed = 0, total = 0;
  for (const Receiver& r : ResolveRequest(g, sid, port)) {
    total += r.share;
    if (r.target_port == 0) continue;
    PortAccess a = g.Access(src, r.identity, r.target_port, r.protocol);
    bool ok = a.level == PortAccess::Level::kAll;
    for (const GrantedMatch& gm : a.matches) {
      if (ok) break;
      const HttpMatch& hm = g.model().http_route_groups[gm.group].matches[gm.match];
      bool m_ok = hm.methods.empty() ||
                  std::any_of(hm.methods.begin(), hm.methods.end(),
                              [&](const std::string& m) { return m == "*" || m == method; });
      if (m_ok && hm.path_regex)
        m_ok = solver.Accepts(*hm.path_regex, p.path_anchoring, path) == SolveStatus::kSat;
      for (const HeaderMatch& h : hm.headers) {
        bool found = false;
        for (const auto& [name, value] : headers) {
          if (lower(name) == lower(h.name) &&
              solver.Accepts(h.value, p.header_anchoring, value) == SolveStatus::kSat) {
            found = true;
          }
        }
        m_ok = m_ok && found;
      }
      ok = m_ok;
    }
    if (ok) allowed += r.share;
  }
  if (total <= 0 || allowed <= 0) return Verdict::kDeny;
  return allowed >= total - 1e-12 ? Verdict::kAllow : Verdict::kPartial;
}

TEST(DifferentialTest, MeshVerdictsWithZ3EqualBruteForceWithRe2) {
  const std::vector<std::string> paths = {"/",
                                          "/health",
                                          "/healthz",
                                          "/metrics",
                                          "/graphql",
                                          "/graphql/x",
                                          "/admin",
                                          "/admin/x",
                                          "/administrator",
                                          "/api/v1/items/42",
                                          "/api/v1/orders/a",
                                          "/api/v1/carts/",
                                          "/api/v2/users/abcdefgh",
                                          "/static/a.js",
                                          "/v1/payments/ABCDEFGHIJKL",
                                          "/api/v1/search?q=x"};
  const char* methods[] = {"GET", "POST", "DELETE"};
  const std::vector<std::vector<std::pair<std::string, std::string>>> header_sets = {
      {}, {{"x-tenant", "acme"}}, {{"X-Tenant", "initech"}}};
  int cases = 0;
  for (std::uint64_t seed : {1u, 2u}) {
    bench::MeshGenOptions o;
    o.services = 6;
    o.namespaces = 2;
    o.seed = seed;
    LoadResult loaded = LoadTexts({{"small.yaml", bench::GenerateMeshYaml(o)}});
    ASSERT_TRUE(loaded.diagnostics.empty());
    for (ProfileId pid : {ProfileId::kSpec, ProfileId::kOsm, ProfileId::kTraefik}) {
      RouteGraph g = CompileGraph(loaded.model, GetProfile(pid));
      RouteSolver solver;
      for (ServiceId sid = 0; sid < g.services().size(); ++sid) {
        const ServiceNode& s = g.services()[sid];
        for (IdentityId src = 0; src < g.identities().size(); ++src) {
          for (const auto& port : s.ports) {
            if (port.protocol != PortProtocol::kHttp) continue;
            for (const char* method : methods) {
              for (const std::string& path : paths) {
                for (const auto& headers : header_sets) {
                  QueryRequest q{g.identities()[src].key(),
                                 s.key(),
                                 "",
                                 port.port,
                                 method,
                                 path,
                                 headers,
                                 true};
                  Verdict re2 = Query(g, q).verdict;
                  Verdict z3 = Z3Verdict(g, solver, src, sid, port.port, method, path, headers);
                  ASSERT_EQ(re2, z3) << GetProfile(pid).name << " " << q.from << " -> " << q.to
                                     << " " << method << " " << path;
                  ++cases;
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GE(cases, 2000);
  std::cout << "differential cases: " << cases << "\n";
}

}  // namespace
}  // namespace meshproof
