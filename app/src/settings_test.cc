// Settings precedence: flag > .meshproof.yaml > default, for every front door.
#include "meshproof/app/settings.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace meshproof::app {
namespace {

namespace fs = std::filesystem;

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("meshproof-settings-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / ".meshproof.yaml")
        << "profile: osm\nfailOn: warning\nsolverTimeoutMs: 500\n"
           "intents:\n- deny: {from: a/b, to: c/d}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SettingsTest, ConfigBesideTheInputsIsFoundAndFlagsWin) {
  LoadResult r;
  Request req;
  auto s = ResolveSettings(req, {dir_.string()}, &r);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->profile_name, "osm");
  EXPECT_EQ(s->fail_on, Severity::kWarning);
  EXPECT_EQ(s->solver_timeout_ms, 500u);
  ASSERT_EQ(s->verify.config.intents.size(), 1u);
  // The intent is located in its registered file.
  const FileId f = s->verify.config.intents[0].loc.file;
  ASSERT_LT(f, r.sources.size());
  EXPECT_EQ(r.sources.name(f), (dir_ / ".meshproof.yaml").string());

  req.profile = "traefik";
  req.fail_on = "never";
  req.solver_timeout_ms = 9;
  LoadResult r2;
  auto t = ResolveSettings(req, {dir_.string()}, &r2);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->profile_name, "traefik");
  EXPECT_EQ(t->fail_on, std::nullopt);
  EXPECT_EQ(t->solver_timeout_ms, 9u);
}

TEST_F(SettingsTest, AFolderAsConfigOrIntentsIsAnError) {
  LoadResult r;
  Request req;
  req.config = dir_.string();
  EXPECT_FALSE(ResolveSettings(req, {}, &r).ok());
  req.config.clear();
  req.intents = dir_.string();
  EXPECT_FALSE(ResolveSettings(req, {}, &r).ok());
}

TEST_F(SettingsTest, DefaultsWithoutAConfig) {
  LoadResult r;
  auto s = ResolveSettings(Request{}, {"/nonexistent-meshproof"}, &r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->profile_name, "spec");
  EXPECT_EQ(s->fail_on, Severity::kError);
  EXPECT_EQ(s->solver_timeout_ms, 2000u);
  EXPECT_FALSE(s->verify.permissive);  // never implicit
}

TEST_F(SettingsTest, PermissiveFromTheConfigAndTheFlagWins) {
  std::ofstream(dir_ / ".meshproof.yaml") << "profile: osm\npermissive: true\n";
  LoadResult r;
  Request req;
  auto s = ResolveSettings(req, {dir_.string()}, &r);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->verify.permissive);
  req.permissive = false;  // --no-permissive
  auto t = ResolveSettings(req, {dir_.string()}, &r);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->verify.permissive);
  std::ofstream(dir_ / ".meshproof.yaml") << "permissive: sometimes\n";
  auto bad = ResolveSettings(Request{}, {dir_.string()}, &r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("permissive: expected true or false"), std::string::npos);
}

}  // namespace
}  // namespace meshproof::app
