// The generator must produce valid manifests (no findings) and be deterministic, or the
// benchmarks built on it measure the wrong thing.
#include "mesh_gen.h"

#include <gtest/gtest.h>

#include "meshproof/engine/loader.h"

namespace meshproof::bench {
namespace {

TEST(MeshGenTest, GeneratedMeshLoadsCleanly) {
  MeshGenOptions o;
  o.services = 120;
  o.namespaces = 4;
  std::string text = GenerateMeshYaml(o);
  LoadResult r = LoadTexts({{"gen.yaml", text}});
  std::string diags;
  for (const auto& d : r.diagnostics.items())
    diags += std::string(InfoOf(d.code).id) + " " + d.message + "\n";
  EXPECT_TRUE(r.diagnostics.empty()) << diags;
  EXPECT_EQ(r.model.service_accounts.size(), 120u);
  EXPECT_EQ(r.model.http_route_groups.size(), 120u);
  EXPECT_EQ(r.model.traffic_targets.size(), 240u);
  EXPECT_EQ(r.model.traffic_splits.size(), 12u);
  EXPECT_EQ(r.model.namespaces.size(), 4u);
  for (const auto& g : r.model.http_route_groups) EXPECT_EQ(g.matches.size(), 4u);
}

TEST(MeshGenTest, Deterministic) {
  MeshGenOptions o;
  o.services = 50;
  EXPECT_EQ(GenerateMeshYaml(o), GenerateMeshYaml(o));
  MeshGenOptions other = o;
  other.seed = 2;
  EXPECT_NE(GenerateMeshYaml(o), GenerateMeshYaml(other));
}

}  // namespace
}  // namespace meshproof::bench
