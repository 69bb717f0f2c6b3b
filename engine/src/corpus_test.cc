// Corpus tests: real SMI manifests written by other projects (../shared/corpus, present in
// CI, absent in a user's clone). Every file must load without crashing, and the files that
// PROVENANCE.md marks broken must produce the diagnostics that explain why.
//
// Exit code 77 (ctest: skipped) with a plain message when the corpus is absent.
#include <filesystem>
#include <iostream>
#include <map>

#include <gtest/gtest.h>

#include "meshproof/engine/loader.h"

namespace meshproof {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = MESHPROOF_CORPUS;

std::string Summary(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.items()) {
    out += std::string(InfoOf(d.code).id) + " " + d.location.path + " " + d.message + "\n";
  }
  return out;
}

TEST(CorpusTest, EveryFileLoadsWithoutCrash) {
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(kCorpus)) {
    if (!e.is_regular_file()) continue;
    LoadResult r = LoadPaths({e.path().string()});
    EXPECT_TRUE(r.failures.empty()) << e.path();
    for (const auto& d : r.diagnostics.items()) {
      EXPECT_NE(d.location.file, kNoFile) << e.path() << ": " << d.message;
    }
    ++files;
  }
  EXPECT_GE(files, 200u);
  // The whole corpus at once, as `meshproof verify ../shared/corpus` reads it.
  LoadResult all = LoadPaths({kCorpus.string()});
  EXPECT_TRUE(all.failures.empty());
  EXPECT_GT(all.model.ObjectCount(), 100u);
}

struct Broken {
  const char* file;
  std::vector<std::pair<DiagCode, const char*>> expect;  // code, YAML path ("" = any)
};

// From PROVENANCE.md's status column.
const std::vector<Broken>& BrokenFiles() {
  static const std::vector<Broken> cases = {
      {"osm-tcp/doc-tcp-access-BROKEN-indentation.yaml", {{DiagCode::MP0001, ""}}},
      {"smi-conformance/traffic-spec/03-install.yaml",
       // spec itself is not CRD-required, so the misplaced matches are pruned (MP0004)
       // and the group is empty, not a schema error.
       {{DiagCode::MP0004, "matches"},
        {DiagCode::MP0004, "spec.destination.port"},
        {DiagCode::MP0002, "metadata.namespace"}}},
      {"smi-conformance/traffic-spec/03-assert.yaml", {{DiagCode::MP0004, "matches"}}},
      {"smi-conformance/traffic-spec/05-install.yaml",
       {{DiagCode::MP0004, "spec.destination.port"}}},
      {"smi-conformance/traffic-spec/05-assert.yaml",
       {{DiagCode::MP0004, "spec.destination.port"}}},
      {"smi-conformance/traffic-access/02-install.yaml",
       {{DiagCode::MP0002, "metadata.namespace"}}},
      {"smi-controller-sdk/samples/specs_v1alpha4_httproutegroup.yaml",
       {{DiagCode::MP0007, "spec.matches[0].headers"},
        {DiagCode::MP0002, "spec.matches[0].headers.x-debug"}}},
      {"smi-controller-sdk/samples/specs_v1alpha4_tcproute.yaml", {{DiagCode::MP0001, ""}}},
      {"smi-controller-sdk/samples/specs_v1alpha4_udproute.yaml",
       {{DiagCode::MP0004, "spec.foo"}, {DiagCode::MP0002, "spec"}}},
      {"smi-spec-examples/specs-v1alpha1/02-httproutegroup-everything-bad-apiversion.yaml",
       {{DiagCode::MP0003, "apiVersion"}}},
      // No apiVersion in the spec documents: the route group's top-level matches make it
      // read as v1alpha2 (MP0003 says so), in the map header form (MP0007).
      {"smi-spec-examples/split-v1alpha3/02-ab-test.yaml",
       {{DiagCode::MP0003, "apiVersion"}, {DiagCode::MP0007, "matches[0].headers"}}},
      {"smi-spec-examples/split-v1alpha4/02-ab-test.yaml",
       {{DiagCode::MP0003, "apiVersion"}, {DiagCode::MP0007, "matches[0].headers"}}},
      {"smi-spec-examples/split-v1alpha1/01-my-weights-milli.yaml",
       {{DiagCode::MP3013, "spec.backends"}}},
      {"smi-adapter-istio/test-manual/04-traffic-split-1000-500.yaml", {}},
      {"krakow-use-cases/uc-02/uc-02.02.smi.yaml", {{DiagCode::MP0004, "spec.matches"}}},
      {"krakow-use-cases/uc-02b/uc-02b.3rd.smi.split.yaml", {{DiagCode::MP0004, "spec.matches"}}},
      {"smi-spec-examples/access-v1alpha4/03-path-specific-target.yaml",
       {{DiagCode::MP0003, "apiVersion"}}},
  };
  return cases;
}

TEST(CorpusTest, BrokenFilesProduceTheExpectedDiagnostics) {
  for (const Broken& b : BrokenFiles()) {
    const fs::path p = kCorpus / b.file;
    ASSERT_TRUE(fs::exists(p)) << p;
    LoadResult r = LoadPaths({p.string()});
    for (const auto& [code, path] : b.expect) {
      bool found = false;
      for (const auto& d : r.diagnostics.items()) {
        if (d.code == code && (std::string(path).empty() || d.location.path == path)) found = true;
      }
      EXPECT_TRUE(found) << b.file << ": expected " << InfoOf(code).id << " at '" << path
                         << "', got:\n"
                         << Summary(r);
    }
  }
}

TEST(CorpusTest, EmptyUpstreamFileLoadsAsNothing) {
  LoadResult r = LoadPaths({(kCorpus / "consul-smi-controller/traffic-split.yml").string()});
  EXPECT_EQ(r.model.ObjectCount(), 0u);
  EXPECT_TRUE(r.diagnostics.empty()) << Summary(r);
}

TEST(CorpusTest, V1alpha1SplitSharesAreQuantities) {
  LoadResult r =
      LoadPaths({(kCorpus / "smi-spec-examples/split-v1alpha1/01-my-weights-milli.yaml").string()});
  ASSERT_EQ(r.model.traffic_splits.size(), 1u);
  const auto& b = r.model.traffic_splits[0].backends;
  ASSERT_EQ(b.size(), 3u);
  EXPECT_NEAR(b[0].share, 10.0 / 1610, 1e-12);    // 0.62%
  EXPECT_NEAR(b[2].share, 1500.0 / 1610, 1e-12);  // 93.17%
}

}  // namespace
}  // namespace meshproof

int main(int argc, char** argv) {
  if (!std::filesystem::is_directory(meshproof::kCorpus)) {
    std::cout << "corpus tests did not run: " << meshproof::kCorpus.string()
              << " not found (it exists in CI; a plain clone has no ../shared/corpus)\n";
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
