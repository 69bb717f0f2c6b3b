#include "meshproof/engine/diagnostics.h"

#include <algorithm>
#include <set>

#include "test_util.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "meshproof/engine/names.h"
#include "meshproof/engine/render.h"
#include "meshproof/engine/sources.h"
#include "meshproof/engine/status.h"

namespace meshproof {
namespace {

TEST(DiagnosticCatalogTest, OrderedUniqueWellFormed) {
  const auto& cat = DiagnosticCatalog();
  ASSERT_GE(cat.size(), 40u);
  auto well_formed = [](std::string_view id) {
    return id.size() == 6 && id.substr(0, 2) == "MP" &&
           std::all_of(id.begin() + 2, id.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  for (std::size_t i = 0; i < cat.size(); ++i) {
    EXPECT_TRUE(well_formed(cat[i].id)) << cat[i].id;
    EXPECT_EQ(static_cast<std::size_t>(cat[i].code), i);
    if (i > 0) {
      EXPECT_LT(std::string(cat[i - 1].id), std::string(cat[i].id));
    }
    EXPECT_EQ(ParseDiagCode(cat[i].id), cat[i].code);
  }
  EXPECT_FALSE(ParseDiagCode("MP9999").has_value());
}

TEST(DiagnosticCatalogTest, FoundationCodesAreChecked) {
  for (const char* c : {"MP0001", "MP0002", "MP0003", "MP0004", "MP0005", "MP0006", "MP0007"}) {
    EXPECT_EQ(InfoOf(*ParseDiagCode(c)).status, CodeStatus::kChecked) << c;
  }
  for (DiagCode c :
       {DiagCode::MP1001, DiagCode::MP1011, DiagCode::MP3011, DiagCode::MP4001, DiagCode::MP5002}) {
    EXPECT_EQ(InfoOf(c).status, CodeStatus::kChecked) << InfoOf(c).id;
  }
  EXPECT_EQ(InfoOf(DiagCode::MP0004).default_severity, Severity::kWarning);
  EXPECT_EQ(InfoOf(DiagCode::MP0006).default_severity, Severity::kInfo);
}

TEST(DiagnosticRenderTest, TextQuotesLineWithCaret) {
  LoadResult r = testing::LoadYaml(R"(apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: s, namespace: ns}
spec:
  service: root
  backends:
  - service: a
    weight: "50"
)");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(RenderDiagnosticText(r.diagnostics.items()[0], r.sources),
            "test.yaml:8:13: error: MP0002 spec.backends[0].weight: expected a number, found "
            "string '50' [TrafficSplit ns/s]\n"
            "      weight: \"50\"\n"
            "              ^\n");
}

TEST(DiagnosticRenderTest, JsonHasSpecFields) {
  LoadResult r = testing::LoadYaml(
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, labels: {x: 1}}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  nlohmann::json j = DiagnosticToJson(r.diagnostics.items()[0], r.sources);
  EXPECT_EQ(j["code"], "MP0002");
  EXPECT_EQ(j["severity"], "error");
  EXPECT_EQ(j["resource"]["kind"], "ServiceAccount");
  EXPECT_EQ(j["resource"]["namespace"], "default");
  EXPECT_EQ(j["location"]["file"], "test.yaml");
  EXPECT_EQ(j["location"]["line"], 3);
  EXPECT_EQ(j["location"]["path"], "metadata.labels.x");
  EXPECT_TRUE(j["related"].is_array());
  EXPECT_TRUE(j.contains("witness"));
}

TEST(DiagnosticsTest, SortIsByLocationThenCode) {
  Diagnostics d;
  d.Report(DiagCode::MP0004, Loc{1, 1, 1, ""}, "b");
  d.Report(DiagCode::MP0002, Loc{0, 9, 1, ""}, "a");
  d.Report(DiagCode::MP0001, Loc{0, 9, 1, ""}, "c");
  d.Report(DiagCode::MP0001, Loc{kNoFile, 0, 0, ""}, "z");
  d.Sort();
  std::vector<std::string> order;
  for (const auto& x : d.items()) order.push_back(x.message);
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a", "b", "z"}));
  EXPECT_EQ(d.Count(Severity::kError), 3u);
}

}  // namespace
}  // namespace meshproof

namespace meshproof {
namespace {

TEST(CheckDeathTest, ABrokenInvariantAbortsWithWhereAndWhat) {
  SourceSet sources;
  sources.Add("a.yaml", "x: 1\n");
  EXPECT_EQ(sources.name(0), "a.yaml");
  EXPECT_DEATH(sources.name(1),
               "internal error at .*sources.h:[0-9]+: check failed: id < files_.size\\(\\)");
  StatusOr<int> missing(Status::IoError("gone"));
  EXPECT_DEATH(missing.value(), "StatusOr read without a value");
}

}  // namespace
}  // namespace meshproof

namespace meshproof {
namespace {

TEST(NamespacedName, OneRuleForAMissingNamespace) {
  EXPECT_EQ(NamespacedName::Parse("shop/web"), (NamespacedName{"shop", "web"}));
  EXPECT_EQ(NamespacedName::Parse("web", "shop"), (NamespacedName{"shop", "web"}));
  EXPECT_EQ(NamespacedName::Parse("web")->str(), "default/web");
  for (const char* bad : {"", "/web", "shop/", "a/b/c", "sh op/web", "shop/w\teb", "shop/\x7f"}) {
    EXPECT_FALSE(NamespacedName::Parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(NamespacedName::Parse("web", "").has_value());
}

}  // namespace
}  // namespace meshproof
