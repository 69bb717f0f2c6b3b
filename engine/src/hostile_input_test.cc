// Issue 14's adversarial findings for the loader and converter, one regression each: every
// object that cannot be modelled gets a located diagnostic, devices and FIFOs neither hang
// nor exhaust memory, and nothing is dropped silently.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshproof/engine/input.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/text.h"

namespace meshproof {
namespace {

namespace fs = std::filesystem;
using testing::DiagSummary;
using testing::LoadYaml;

std::string Messages(const LoadResult& r, DiagCode code) {
  std::string out;
  for (const auto& d : r.diagnostics.items()) {
    if (d.code == code) out += d.message + "\n";
  }
  return out;
}

TEST(HostileInputTest, EveryUnusableMetadataNameIsReported) {
  struct Case {
    const char* name;
    const char* says;
  };
  for (const Case& c : {Case{"''", "metadata.name is empty"}, Case{"3", "3 is a number"},
                        Case{"true", "true is a boolean"}, Case{"[a]", "is a list"},
                        Case{"{a: b}", "is a map"}, Case{"null", "has no metadata.name"}}) {
    LoadResult r = LoadYaml(std::string("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ") +
                            c.name + ", namespace: x}\n");
    EXPECT_TRUE(r.model.service_accounts.empty());
    EXPECT_NE(Messages(r, DiagCode::MP0002).find(c.says), std::string::npos) << c.name << "\n"
                                                                             << DiagSummary(r);
  }
  LoadResult bad = LoadYaml("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: Bad_Name}\n");
  EXPECT_NE(Messages(bad, DiagCode::MP0002).find("not a valid object name"), std::string::npos);
  EXPECT_EQ(bad.model.service_accounts.size(), 1u);  // kept: the rest is still analysed
}

std::string Split(const std::string& version, const std::string& weight) {
  return "apiVersion: split.smi-spec.io/" + version +
         "\nkind: TrafficSplit\nmetadata: {name: s, namespace: x}\nspec:\n  service: root\n"
         "  backends:\n  - {service: a, weight: " +
         weight + "}\n  - {service: b, weight: 1}\n";
}

TEST(HostileInputTest, NonFiniteAndOutOfRangeWeightsAreMP3004) {
  for (const char* w : {".nan", ".inf", "-.Inf", "1e400", "99999999999999999999"}) {
    LoadResult r = LoadYaml(Split("v1alpha2", w));
    EXPECT_TRUE(r.diagnostics.Has(DiagCode::MP3004)) << w << "\n" << DiagSummary(r);
    ASSERT_EQ(r.model.traffic_splits.size(), 1u);
    EXPECT_FALSE(r.model.traffic_splits[0].backends[0].weight_valid) << w;
  }
  for (const char* w : {".nan", ".inf"}) {
    EXPECT_TRUE(LoadYaml(Split("v1alpha1", w)).diagnostics.Has(DiagCode::MP3004)) << w;
  }
  EXPECT_FALSE(
      LoadYaml(Split("v1alpha2", "9223372036854775807")).diagnostics.Has(DiagCode::MP3004));
}

TEST(HostileInputTest, HeaderNamesMustBeHttpTokens) {
  for (const char* name : {"user agent", "x:y", ":authority", "\"\""}) {
    LoadResult r =
        LoadYaml(std::string("apiVersion: specs.smi-spec.io/v1alpha4\nkind: "
                             "HTTPRouteGroup\nmetadata: {name: g, namespace: x}\n"
                             "spec:\n  matches:\n  - name: m\n    headers:\n    - ") +
                 (name[0] == '"' ? name : std::string("\"") + name + "\"") + ": \"v\"\n");
    EXPECT_NE(Messages(r, DiagCode::MP0002).find("is not an HTTP field name"), std::string::npos)
        << name << "\n"
        << DiagSummary(r);
  }
  EXPECT_TRUE(IsHttpToken("x-request-id"));
  EXPECT_TRUE(IsHttpToken("User-Agent"));
  EXPECT_FALSE(IsHttpToken(":path"));
}

TEST(HostileInputTest, MisspeltSmiKindIsMP0009NamingTheLikelyKind) {
  LoadResult r = LoadYaml(
      "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTargett\nmetadata: {name: t}\n");
  EXPECT_NE(Messages(r, DiagCode::MP0009).find("did you mean TrafficTarget?"), std::string::npos)
      << DiagSummary(r);
  // Other API groups keep their kinds to themselves.
  EXPECT_FALSE(LoadYaml("apiVersion: example.com/v1\nkind: TrafficTargett\nmetadata: {name: t}\n")
                   .diagnostics.Has(DiagCode::MP0009));
  EXPECT_FALSE(LoadYaml("apiVersion: metrics.smi-spec.io/v1alpha1\nkind: TrafficMetrics\n"
                        "metadata: {name: t}\n")
                   .diagnostics.Has(DiagCode::MP0009));
}

TEST(HostileInputTest, TaggedDocumentsAreReportedAndStillRead) {
  for (const char* tag : {"!foo", "!!set", "!!str"}) {
    LoadResult r = LoadYaml(std::string("--- ") + tag +
                            "\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n");
    EXPECT_NE(Messages(r, DiagCode::MP0002).find("carries the YAML tag"), std::string::npos)
        << tag << "\n"
        << DiagSummary(r);
    EXPECT_EQ(r.model.service_accounts.size(), 1u) << tag;
  }
  EXPECT_TRUE(LoadYaml("--- !!map\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n")
                  .diagnostics.empty());
}

TEST(HostileInputTest, LoneCarriageReturnsAreLineBreaks) {
  LoadResult r = LoadYaml("apiVersion: v1\rkind: ServiceAccount\rmetadata: {name: a}\r");
  EXPECT_TRUE(r.diagnostics.empty()) << DiagSummary(r);
  EXPECT_EQ(r.model.service_accounts.size(), 1u);
}

TEST(HostileInputTest, DevicesStopAtTheFirstNulOrTheCap) {
  if (!fs::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  LoadResult r = LoadPaths({"/dev/zero"});
  EXPECT_TRUE(r.diagnostics.Has(DiagCode::MP0001)) << DiagSummary(r);
  CappedRead c = ReadCapped("/dev/zero", 1 << 20);
  EXPECT_TRUE(c.nul.has_value());
  EXPECT_LE(c.text.size(), std::size_t{1} << 16);
  if (fs::exists("/dev/urandom")) {
    CappedRead u = ReadCapped("/dev/urandom", 1000);
    EXPECT_TRUE(u.too_large || u.nul) << u.text.size();
    EXPECT_LE(u.text.size(), 1000u);
  }
}

TEST(HostileInputTest, FifosInFoldersAreSkippedAndEmptyFoldersWarned) {
  fs::path dir = fs::temp_directory_path() / ("mp-fifo-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "empty");
  ASSERT_EQ(::mkfifo((dir / "pipe.yaml").c_str(), 0600), 0);
  std::ofstream(dir / "sa.yaml") << "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n";
  LoadResult r = LoadPaths({dir.string(), (dir / "empty").string()});  // would block before
  EXPECT_EQ(r.model.service_accounts.size(), 1u);
  const std::string said = Messages(r, DiagCode::MP0008);
  EXPECT_NE(said.find("a FIFO"), std::string::npos) << DiagSummary(r);
  EXPECT_NE(said.find("folder holds no manifest"), std::string::npos) << DiagSummary(r);
  fs::remove_all(dir);
}

TEST(HostileInputTest, StdinIsCappedWhileReading) {
  std::istringstream big(std::string(3000, 'a'));
  LoadOptions o;
  o.max_file_bytes = 1000;
  o.stdin_stream = &big;
  LoadResult r = LoadPaths({"-"}, o);
  EXPECT_NE(Messages(r, DiagCode::MP0001).find("over the 1000-byte limit"), std::string::npos)
      << DiagSummary(r);
}

}  // namespace
}  // namespace meshproof
