#include "git_source.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace meshproof::app {
namespace {

namespace fs = std::filesystem;

// Runs argv (no shell) and returns its standard output; a non-zero exit is an error
// carrying the command's first line of standard error.
StatusOr<std::string> Run(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) return Status::IoError("cannot run git: pipe failed");
  pid_t pid = fork();
  if (pid < 0) return Status::IoError("cannot run git: fork failed");
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::string stdout_text, stderr_text;
  char buf[65536];
  // Read stdout fully, then stderr (git's stderr is short); avoids deadlock for large blobs.
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;)
    stdout_text.append(buf, static_cast<std::size_t>(n));
  for (ssize_t n; (n = read(err[0], buf, sizeof buf)) > 0;)
    stderr_text.append(buf, static_cast<std::size_t>(n));
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      return Status::InvalidArgument("git is not installed");
    std::string first = stderr_text.substr(0, stderr_text.find('\n'));
    return Status::InvalidArgument(first.empty() ? "git failed" : first);
  }
  return stdout_text;
}

bool IsManifest(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext != ".yaml" && ext != ".yml" && ext != ".json") return false;
  for (const auto& part : p) {
    std::string s = part.string();
    if (!s.empty() && s[0] == '.' && s != "." && s != "..")
      return false;  // hidden, as folder loads skip
  }
  return true;
}

}  // namespace

StatusOr<LoadResult> LoadFromGit(const std::string& ref, const std::vector<std::string>& paths,
                                 const LoadOptions& options) {
  auto top = Run({"git", "rev-parse", "--show-toplevel"});
  if (!top.ok()) return Status::InvalidArgument("diff --git: " + top.status().message());
  std::string root = *top;
  while (!root.empty() && (root.back() == '\n' || root.back() == '\r')) root.pop_back();
  auto verified = Run({"git", "-C", root, "rev-parse", "--verify", "--quiet", ref + "^{commit}"});
  if (!verified.ok()) return Status::InvalidArgument("diff --git: unknown revision '" + ref + "'");
  std::vector<std::pair<std::string, std::string>> texts;
  const fs::path cwd = fs::current_path();
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::path rel = fs::relative(fs::absolute(p), root, ec);
    if (ec || rel.empty() || *rel.begin() == "..") {
      return Status::InvalidArgument("diff --git: '" + p + "' is outside the repository " + root);
    }
    auto listing = Run({"git", "-C", root, "ls-tree", "-r", "--name-only", "--full-tree", ref, "--",
                        rel.string()});
    if (!listing.ok()) return Status::InvalidArgument("diff --git: " + listing.status().message());
    std::istringstream lines(*listing);
    std::vector<std::string> files;
    for (std::string f; std::getline(lines, f);) {
      if (!f.empty()) files.push_back(f);
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      const bool named = fs::path(f) == rel;  // a file named on the command line: any extension
      if (!named && !IsManifest(fs::relative(fs::path(f), rel))) continue;
      auto blob = Run({"git", "-C", root, "show", ref + ":" + f});
      if (!blob.ok()) return Status::IoError("diff --git: " + blob.status().message());
      texts.emplace_back(fs::relative(fs::path(root) / f, cwd).string(), std::move(*blob));
    }
  }
  return LoadTexts(texts, options);
}

}  // namespace meshproof::app
