// --output-file: atomic writes, descriptors, symlinks, devices, and never over an input.
#include "meshproof/app/output.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace meshproof::app {
namespace {

namespace fs = std::filesystem;

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("meshproof-output-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "mesh");
    Write(dir_ / "mesh" / "a.yaml", "kind: Service\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

TEST_F(OutputTest, WritesAtomicallyAndReplaces) {
  const fs::path out = dir_ / "out.sarif";
  ASSERT_TRUE(WriteOutput(out.string(), "one", {}).ok());
  ASSERT_TRUE(WriteOutput(out.string(), "two", {}).ok());
  EXPECT_EQ(Read(out), "two");
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos);
  }
}

TEST_F(OutputTest, NeverAnInputNorAFileTheFolderScanWouldRead) {
  const std::string mesh = (dir_ / "mesh").string();
  EXPECT_FALSE(WriteOutput((dir_ / "mesh" / "a.yaml").string(), "x", {mesh}).ok());
  EXPECT_EQ(Read(dir_ / "mesh" / "a.yaml"), "kind: Service\n");
  EXPECT_FALSE(WriteOutput((dir_ / "mesh" / "new.json").string(), "x", {mesh}).ok());
  EXPECT_FALSE(fs::exists(dir_ / "mesh" / "new.json"));
  // Not a manifest extension, or hidden: the scan would not read it.
  EXPECT_TRUE(WriteOutput((dir_ / "mesh" / "report.sarif").string(), "x", {mesh}).ok());
  const std::string file = (dir_ / "mesh" / "a.yaml").string();
  EXPECT_FALSE(WriteOutput(file, "x", {file}).ok());
}

TEST_F(OutputTest, ASymlinkWritesItsTargetAndStaysASymlink) {
  const fs::path target = dir_ / "target.txt";
  Write(target, "old");
  fs::create_symlink(target, dir_ / "link.txt");
  ASSERT_TRUE(WriteOutput((dir_ / "link.txt").string(), "new", {}).ok());
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.txt"));
  EXPECT_EQ(Read(target), "new");
  // A symlink into an input folder is refused like the file it points to.
  fs::create_symlink(dir_ / "mesh" / "a.yaml", dir_ / "sneaky.txt");
  EXPECT_FALSE(WriteOutput((dir_ / "sneaky.txt").string(), "x", {(dir_ / "mesh").string()}).ok());
}

TEST_F(OutputTest, DevicesAndFifosAreWrittenInPlace) {
  ASSERT_TRUE(WriteOutput("/dev/null", "x", {}).ok());
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(WriteOutput("/dev/full", "x", {}).ok());
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const pid_t reader = fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) _exit(Read(fifo) == "through" ? 0 : 1);
  EXPECT_TRUE(WriteOutput(fifo.string(), "through", {}).ok());
  int status = 0;
  ASSERT_EQ(waitpid(reader, &status, 0), reader);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST_F(OutputTest, AFolderIsRefused) { EXPECT_FALSE(WriteOutput(dir_.string(), "x", {}).ok()); }

}  // namespace
}  // namespace meshproof::app
