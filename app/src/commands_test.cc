// The command-line tables: per-command flags, formats, usage errors with hints.
#include "meshproof/app/commands.h"

#include <gtest/gtest.h>

namespace meshproof::app {
namespace {

StatusOr<Request> Parse(std::vector<std::string> args) { return ParseCommandLine(args); }

TEST(CommandLine, OutputIsTheFormatAsInKubectl) {
  auto r = Parse({"verify", "-o", "json", "deploy/"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format, OutputFormat::kJson);
  EXPECT_EQ(r->paths, std::vector<std::string>{"deploy/"});
  EXPECT_TRUE(r->output_file.empty());
  auto f = Parse({"verify", "--output=sarif", "--output-file", "x.sarif", "deploy/"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->format, OutputFormat::kSarif);
  EXPECT_EQ(f->output_file, "x.sarif");
}

TEST(CommandLine, AFileNameGivenToOutputIsAUsageErrorWithAHint) {
  auto r = Parse({"verify", "-o", "out.sarif", "deploy/"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--output-file out.sarif"), std::string::npos);
}

TEST(CommandLine, AFlagTheCommandDoesNotTakeIsRefusedNamingWhoTakesIt) {
  auto r = Parse({"verify", "--seed", "5", "mesh"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(
      r.status().message().find("verify does not take --seed (simulate, canary, sweep take it)"),
      std::string::npos)
      << r.status().message();
  EXPECT_FALSE(Parse({"verify", "--fail-on-grant", "mesh"}).ok());
  EXPECT_FALSE(Parse({"verify", "--from", "x/y", "mesh"}).ok());
  EXPECT_FALSE(Parse({"simulate", "--suppress", "MP1001", "s.yaml"}).ok());
}

TEST(CommandLine, MisspelledFlagsAndCommandsGetASuggestion) {
  auto f = Parse({"verify", "--fail-onn", "warning", "mesh"});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("did you mean --fail-on?"), std::string::npos);
  auto c = Parse({"verfy", "mesh"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("did you mean verify?"), std::string::npos);
}

TEST(CommandLine, FormatsArePerCommand) {
  EXPECT_TRUE(Parse({"diff", "-o", "markdown", "a", "b"}).ok());
  EXPECT_FALSE(Parse({"verify", "-o", "markdown", "a"}).ok());
  auto model = Parse({"model", "a"});
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->format, OutputFormat::kJson);  // model's only format is its default
}

TEST(CommandLine, HelpPerCommandAndVersion) {
  auto h = Parse({"diff", "--help"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->command, Command::kHelp);
  EXPECT_EQ(h->topic, "diff");
  const std::string text = HelpText(FindCommand("diff"));
  EXPECT_NE(text.find("--fail-on-grant"), std::string::npos);
  EXPECT_EQ(text.find("--seed"), std::string::npos);
  EXPECT_NE(text.find("Examples:\n  meshproof diff"), std::string::npos);
  EXPECT_NE(HelpText(nullptr).find("-n, --namespace NS"), std::string::npos);
  auto v = Parse({"--version"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->command, Command::kVersion);
}

TEST(CommandLine, PositionalsAndQueryNeeds) {
  EXPECT_FALSE(Parse({"verify"}).ok());
  EXPECT_FALSE(Parse({"diff", "a"}).ok());
  EXPECT_TRUE(Parse({"diff", "--git", "HEAD", "a"}).ok());
  EXPECT_FALSE(Parse({"query", "m", "--to", "a/b"}).ok());
  EXPECT_FALSE(Parse({"query", "m", "--from", "a/b", "--to", "a/c", "--to-identity", "a/d"}).ok());
  auto q = Parse({"query", "m", "-n", "shop", "--from", "web", "--to", "cart", "--port", "80"});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->namespace_, "shop");
  EXPECT_EQ(q->query.port, 80);
  auto c = Parse({"codes", "MP3011"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->topic, "MP3011");
}

TEST(CommandLine, CompletionScriptsComeFromTheTables) {
  for (const char* shell : {"bash", "zsh", "fish"}) {
    auto s = CompletionScript(shell);
    ASSERT_TRUE(s.ok()) << shell;
    EXPECT_NE(s->find("fail-on-grant"), std::string::npos) << shell;
    EXPECT_NE(s->find("replications"), std::string::npos) << shell;
  }
  EXPECT_FALSE(CompletionScript("tcsh").ok());
}

}  // namespace
}  // namespace meshproof::app
