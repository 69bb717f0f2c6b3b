// Random queries on generated meshes: every witness the solver produces must be allowed
// when evaluated concretely (RE2, exact headers) under the same profile.
#include <gtest/gtest.h>

#include <random>

#include "mesh_gen.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"

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
          << GetProfile(pid).name << ": witness " << a.witness.method << " " << a.witness.path << " for " << q.from
          << " -> " << q.to << " is denied when replayed";
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
