// Bad input never crashes and never hangs: each hostile input below gets a diagnostic (or
// a Status failure), and the rest of the input is still analysed.
#include <filesystem>
#include <random>

#include "test_util.h"
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "meshproof/engine/loader.h"

namespace meshproof {
namespace {

namespace fs = std::filesystem;
using testing::DiagSummary;
using testing::LoadYaml;

const char* kValid =
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: survivor, namespace: ns}\n";

// Every diagnostic must point somewhere a user can look.
void ExpectLocated(const LoadResult& r) {
  for (const auto& d : r.diagnostics.items()) {
    EXPECT_NE(d.location.file, kNoFile) << d.message;
    EXPECT_FALSE(d.message.empty());
  }
}

bool Survived(const LoadResult& r) {
  for (const auto& s : r.model.service_accounts) {
    if (s.meta.name == "survivor") return true;
  }
  return false;
}

TEST(RobustnessTest, InvalidYamlIsMP0001AndOtherDocumentsSurvive) {
  for (const char* bad : {"a: [1, 2", "a: {b: c", "- a\nb: c", "a: 'unterminated", "\tkey: tab",
                          "a: b: c", "? [complex]\n: x\n  bad", "&anchor", "*undefined",
                          "!!binary %%%", "a: |\n b\n  c\n d: e"}) {
    LoadResult r = LoadTexts({{"bad.yaml", std::string(bad) + "\n---\n" + kValid}});
    EXPECT_TRUE(Survived(r)) << bad << "\n" << DiagSummary(r);
    ExpectLocated(r);
  }
  LoadResult r = LoadYaml("a: [1, 2\n");
  ASSERT_TRUE(r.diagnostics.Has(DiagCode::MP0001)) << DiagSummary(r);
}

TEST(RobustnessTest, NotAnObject) {
  for (const char* doc : {"- a\n- b\n", "just a string\n", "42\n", "[]\n"}) {
    LoadResult r = LoadYaml(doc);
    EXPECT_EQ(r.diagnostics.Count(DiagCode::MP0002), 1u) << doc << DiagSummary(r);
  }
  EXPECT_TRUE(LoadYaml("---\n---\n# only comments\n").diagnostics.empty());
}

// Replace every node of every fixture by values of every other type; the loader must
// report (never crash) and keep every location meaningful.
void MutateEverywhere(const YAML::Node& root, YAML::Node node, int* budget,
                      const std::function<void()>& check) {
  static const std::vector<std::string> replacements = {
      "x", "7", "0.5", "true", "~", "[]", "{}", "[1, {a: b}]", "{name: [1]}", "-1", "\"\""};
  if (*budget <= 0) return;
  std::vector<std::pair<YAML::Node, YAML::Node>> kids;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) kids.emplace_back(it->first, it->second);
    for (auto& [k, v] : kids) {
      YAML::Node saved = YAML::Clone(v);
      for (const auto& rep : replacements) {
        node[k] = YAML::Load(rep);
        check();
        --*budget;
      }
      node[k] = saved;
      MutateEverywhere(root, node[k], budget, check);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      YAML::Node saved = YAML::Clone(node[i]);
      for (const auto& rep : replacements) {
        node[i] = YAML::Load(rep);
        check();
        --*budget;
      }
      node[i] = saved;
      MutateEverywhere(root, node[i], budget, check);
    }
  }
}

TEST(RobustnessTest, WrongTypesEverywhere) {
  std::size_t runs = 0, with_findings = 0;
  for (const auto& e : fs::directory_iterator(fs::path(MESHPROOF_TESTDATA) / "model")) {
    if (e.path().string().find(".golden.") != std::string::npos) continue;
    for (YAML::Node doc : YAML::LoadAll(testing::ReadFileForTest(e.path().string()))) {
      int budget = 4000;
      MutateEverywhere(doc, doc, &budget, [&] {
        YAML::Emitter out;
        out << doc;
        LoadResult r = LoadTexts({{"m.yaml", std::string(out.c_str()) + "\n---\n" + kValid}});
        ASSERT_TRUE(Survived(r)) << out.c_str();
        ExpectLocated(r);
        ++runs;
        if (!r.diagnostics.empty()) ++with_findings;
      });
    }
  }
  EXPECT_GT(runs, 2000u);
  // Most mutations break a typed field; the loader must notice, not shrug.
  EXPECT_GT(with_findings, runs / 2) << with_findings << " of " << runs;
}

TEST(RobustnessTest, BinaryGarbage) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::string junk(1 + rng() % 4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 2 == 1) {
      for (char& c : junk) {
        if (c == '\0') c = 'x';  // no NUL: goes all the way into the YAML parser
      }
    }
    LoadResult r = LoadTexts({{"junk.bin", junk}, {"ok.yaml", kValid}});
    EXPECT_TRUE(Survived(r));
    ExpectLocated(r);
    if (junk.find('\0') != std::string::npos) {
      EXPECT_TRUE(r.diagnostics.Has(DiagCode::MP0001));
    }
  }
}

TEST(RobustnessTest, RandomByteMutationsOfRealManifests) {
  std::mt19937_64 rng(7);
  std::vector<std::string> fixtures;
  for (const auto& e : fs::directory_iterator(fs::path(MESHPROOF_TESTDATA) / "model")) {
    if (e.path().string().find(".golden.") == std::string::npos) {
      fixtures.push_back(testing::ReadFileForTest(e.path().string()));
    }
  }
  std::sort(fixtures.begin(), fixtures.end());
  const std::string alphabet = " \n\t:-[]{}&*!|>'\"#%@`,?abc019\xC3\xFF";
  for (int i = 0; i < 2000; ++i) {
    std::string text = fixtures[rng() % fixtures.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits && !text.empty(); ++k) {
      std::size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          text.erase(pos, 1 + rng() % 16);
      }
    }
    LoadResult r = LoadTexts({{"fuzz.yaml", text}, {"ok.yaml", kValid}});
    ASSERT_TRUE(Survived(r)) << text;
    ExpectLocated(r);
  }
}

TEST(RobustnessTest, InvalidUtf8) {
  LoadResult r = LoadTexts({{"bad.yaml", std::string("apiVersion: v1\nkind: ServiceAccount\n"
                                                     "metadata: {name: \"caf\xE9\"}\n---\n") +
                                             kValid}});
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0001), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.items()[0].location.line, 3u);
  EXPECT_TRUE(Survived(r));
  LoadResult utf16 = LoadTexts({{"u16.yaml", std::string("\xFF\xFE"
                                                         "a\0:\0",
                                                         6)},
                                {"ok.yaml", kValid}});
  EXPECT_TRUE(utf16.diagnostics.Has(DiagCode::MP0001));
  EXPECT_TRUE(Survived(utf16));
}

TEST(RobustnessTest, FiftyMegabyteFile) {
  // A realistic big input: many documents (as `helm template` prints), 50 MB in all.
  std::string big;
  big.reserve(51u << 20);
  const std::string doc =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns\ndata:\n  key: " +
      std::string(900, 'v') + "\n---\n";
  while (big.size() < (50u << 20)) big += doc;
  big += kValid;
  LoadResult r = LoadTexts({{"big.yaml", big}});
  EXPECT_TRUE(Survived(r));
  EXPECT_GT(r.model.skipped.at("v1/ConfigMap"), 50000);
}

TEST(RobustnessTest, DeepNesting) {
  const std::string flow = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  std::string block = "a:\n";
  for (int i = 0; i < 100000; ++i) block += "- ";
  block += "x\n";
  std::string maps = "a: ";
  for (int i = 0; i < 100000; ++i) maps += "{a: ";
  maps += "1" + std::string(100000, '}') + "\n";
  for (const std::string& deep : {flow, block, maps}) {
    LoadResult r = LoadTexts({{"deep.yaml", deep + "---\n" + kValid}});
    EXPECT_TRUE(r.diagnostics.Has(DiagCode::MP0001)) << DiagSummary(r);
    EXPECT_TRUE(Survived(r));
  }
}

TEST(RobustnessTest, BillionLaughs) {
  std::string bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n";
  bomb += "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  const char* names = "abcdefghi";
  for (int i = 1; i < 9; ++i) {
    bomb += std::string("  ") + names[i] + ": &" + names[i] + " [";
    for (int k = 0; k < 9; ++k) bomb += std::string(k ? ",*" : "*") + names[i - 1];
    bomb += "]\n";
  }
  LoadResult r = LoadTexts({{"lol.yaml", bomb + "---\n" + kValid}});
  ASSERT_TRUE(r.diagnostics.Has(DiagCode::MP0001)) << DiagSummary(r);
  EXPECT_NE(DiagSummary(r).find("alias bomb"), std::string::npos);
  EXPECT_TRUE(Survived(r));
}

TEST(RobustnessTest, RecursiveAlias) {
  LoadResult r = LoadTexts({{"rec.yaml", std::string("a: &x [1, *x]\n---\n") + kValid}});
  EXPECT_TRUE(r.diagnostics.Has(DiagCode::MP0001)) << DiagSummary(r);
  EXPECT_TRUE(Survived(r));
}

TEST(RobustnessTest, DuplicateKeys) {
  LoadResult r = LoadYaml(R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: first
  namespace: ns
  name: survivor
)");
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0001), 1u) << DiagSummary(r);
  EXPECT_EQ(r.diagnostics.items()[0].location.line, 6u);
  EXPECT_TRUE(Survived(r));
}

}  // namespace
}  // namespace meshproof
