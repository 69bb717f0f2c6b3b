// Golden tests of the typed model: each testdata/model/<case> input is loaded and its
// model JSON plus diagnostics compared with <case>.golden.json. Set
// MESHPROOF_UPDATE_GOLDEN=1 to rewrite the goldens; review the diff.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "meshproof/engine/render.h"

namespace meshproof {
namespace {

namespace fs = std::filesystem;

class ModelGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGoldenTest, MatchesGolden) {
  const fs::path dir = fs::path(MESHPROOF_TESTDATA) / "model";
  const std::string name = GetParam();
  std::string text = testing::ReadFileForTest((dir / name).string());
  ASSERT_FALSE(text.empty()) << name;
  LoadResult r = LoadTexts({{name, text}});
  nlohmann::json actual;
  actual["model"] = ModelToJson(r.model, r.sources);
  actual["diagnostics"] = nlohmann::json::array();
  for (const auto& d : r.diagnostics.items()) {
    actual["diagnostics"].push_back(DiagnosticToJson(d, r.sources));
  }
  const fs::path golden = dir / (fs::path(name).stem().string() + ".golden.json");
  if (std::getenv("MESHPROOF_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << actual.dump(2) << "\n";
  }
  std::string expected_text = testing::ReadFileForTest(golden.string());
  ASSERT_FALSE(expected_text.empty()) << "missing golden " << golden;
  nlohmann::json expected = nlohmann::json::parse(expected_text);
  EXPECT_EQ(expected, actual) << "model of " << name << " changed:\n" << actual.dump(2);
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(MESHPROOF_TESTDATA) / "model")) {
    std::string n = e.path().filename().string();
    if (n.find(".golden.") == std::string::npos) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllVersions, ModelGoldenTest, ::testing::ValuesIn(Cases()),
                         [](const auto& tp) {
                           std::string s = tp.param;
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

TEST(ModelGoldenTest, CoversEveryVersion) {
  // One input per SMI API version at least (issue: golden-tested per version).
  std::string all;
  for (const auto& c : Cases())
    all += testing::ReadFileForTest((fs::path(MESHPROOF_TESTDATA) / "model" / c).string());
  for (const char* v :
       {"access.smi-spec.io/v1alpha1", "access.smi-spec.io/v1alpha2", "access.smi-spec.io/v1alpha3",
        "specs.smi-spec.io/v1alpha1", "specs.smi-spec.io/v1alpha2", "specs.smi-spec.io/v1alpha3",
        "specs.smi-spec.io/v1alpha4", "split.smi-spec.io/v1alpha1", "split.smi-spec.io/v1alpha2",
        "split.smi-spec.io/v1alpha3", "split.smi-spec.io/v1alpha4"}) {
    EXPECT_NE(all.find(v), std::string::npos) << "no golden input uses " << v;
  }
}

}  // namespace
}  // namespace meshproof
