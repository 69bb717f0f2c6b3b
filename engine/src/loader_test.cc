#include "meshproof/engine/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"
#include <gtest/gtest.h>
#include <unistd.h>

namespace meshproof {
namespace {

namespace fs = std::filesystem;

const char* kSa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: ns}\n";

std::string Sa(const std::string& name) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kSa, name.c_str());
  return buf;
}

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("meshproof_loader_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  std::vector<std::string> Names(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.model.service_accounts) out.push_back(s.meta.name);
    return out;
  }
  fs::path dir_;
};

TEST_F(LoaderTest, FolderRecursiveSortedWithExtensionFilter) {
  Write("b.yaml", Sa("b"));
  Write("a.yml", Sa("a"));
  Write("sub/deeper/c.json",
        R"({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "c"}})");
  Write("notes.txt", Sa("txt"));
  Write(".hidden/d.yaml", Sa("hidden"));
  Write("README.md", "# not yaml");
  Write("package.json", R"({"name": "site", "version": "1.0.0"})");
  LoadResult r = LoadPaths({dir_.string()});
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(r.files_read, 4u);  // b.yaml, a.yml, c.json, package.json
  EXPECT_EQ(Names(r), (std::vector<std::string>{"c", "a", "b"}));  // sorted by (ns, name)
  EXPECT_TRUE(r.diagnostics.empty()) << testing::DiagSummary(r);
  EXPECT_EQ(r.model.skipped.at("(not a Kubernetes object)"), 1);
  // Named explicitly, the same file is an error: the user said it is a manifest.
  LoadResult named = LoadPaths({(dir_ / "package.json").string()});
  EXPECT_TRUE(named.diagnostics.Has(DiagCode::MP0002));
}

TEST_F(LoaderTest, ExplicitFileOfAnyExtension) {
  Write("manifest.txt", Sa("x"));
  LoadResult r = LoadPaths({(dir_ / "manifest.txt").string()});
  EXPECT_EQ(Names(r), std::vector<std::string>{"x"});
}

TEST_F(LoaderTest, StdinDash) {
  std::istringstream in(Sa("from-stdin") + "---\n" + Sa("second"));
  LoadOptions o;
  o.stdin_stream = &in;
  LoadResult r = LoadPaths({"-"}, o);
  EXPECT_EQ(Names(r), (std::vector<std::string>{"from-stdin", "second"}));
  EXPECT_EQ(r.sources.name(0), "<stdin>");
  EXPECT_EQ(r.documents, 2u);
}

TEST_F(LoaderTest, MissingPathIsAFailureAndTheRestStillLoads) {
  Write("ok.yaml", Sa("ok"));
  LoadResult r = LoadPaths({(dir_ / "nope.yaml").string(), (dir_ / "ok.yaml").string(),
                            (dir_ / "ok.yaml" / "child").string()});
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].code(), StatusCode::kNotFound);
  EXPECT_NE(r.failures[0].message().find("nope.yaml"), std::string::npos);
  EXPECT_EQ(Names(r), std::vector<std::string>{"ok"});
}

TEST_F(LoaderTest, UnreadableFileIsAFailure) {
  // Permission bits do not stop root (CI runs as root), so use a file whose read(2) fails
  // with EIO whoever reads it: /proc/self/mem at offset 0 is unmapped.
  Write("ok.yaml", Sa("ok"));
  LoadResult r = LoadPaths({"/proc/self/mem", (dir_ / "ok.yaml").string()});
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].code(), StatusCode::kIoError);
  EXPECT_NE(r.failures[0].message().find("/proc/self/mem"), std::string::npos);
  EXPECT_EQ(Names(r), std::vector<std::string>{"ok"});
}

TEST_F(LoaderTest, SymlinkLoopDoesNotHang) {
  Write("a/x.yaml", Sa("x"));
  fs::create_directory_symlink(dir_ / "a", dir_ / "a" / "loop");
  LoadResult r = LoadPaths({dir_.string()});
  EXPECT_EQ(Names(r), std::vector<std::string>{"x"});
}

TEST_F(LoaderTest, DefaultNamespaceApplied) {
  LoadResult r =
      LoadTexts({{"x.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n"}},
                LoadOptions{.default_namespace = "team"});
  ASSERT_EQ(r.model.service_accounts.size(), 1u);
  EXPECT_EQ(r.model.service_accounts[0].meta.namespace_, "team");
}

TEST_F(LoaderTest, Utf8BomStripped) {
  LoadResult r = LoadTexts({{"bom.yaml", "\xEF\xBB\xBF" + Sa("bom")}});
  EXPECT_EQ(Names(r), std::vector<std::string>{"bom"});
  EXPECT_TRUE(r.diagnostics.empty()) << testing::DiagSummary(r);
}

TEST_F(LoaderTest, FileOverLimitIsReportedNotParsed) {
  Write("big.yaml", Sa("big") + std::string(2000, '#'));
  LoadOptions o;
  o.max_file_bytes = 1000;
  LoadResult r = LoadPaths({(dir_ / "big.yaml").string()}, o);
  ASSERT_EQ(r.diagnostics.Count(DiagCode::MP0001), 1u);
  EXPECT_NE(r.diagnostics.items()[0].message.find("limit"), std::string::npos);
  EXPECT_TRUE(r.model.service_accounts.empty());
}

}  // namespace
}  // namespace meshproof
