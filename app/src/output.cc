#include "meshproof/app/output.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshproof/engine/loader.h"

namespace meshproof::app {
namespace {

namespace fs = std::filesystem;

Status CannotWrite(const std::string& path, int err) {
  return Status::IoError("cannot write '" + path + "': " + std::strerror(err));
}

// "-", /dev/stdout, /dev/stderr, /dev/fd/N: the descriptor, else -1.
int DescriptorOf(const std::string& path) {
  if (path == "-" || path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  const std::string prefix = "/dev/fd/";
  if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size()) {
    char* end = nullptr;
    const long fd = std::strtol(path.c_str() + prefix.size(), &end, 10);
    if (*end == '\0' && fd >= 0 && fd < INT_MAX) return static_cast<int>(fd);
  }
  return -1;
}

Status CheckNotInput(const std::string& target, const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const std::string& in : inputs) {
    if (in == "-" || in.empty()) continue;
    if (fs::exists(target, ec) && fs::equivalent(target, in, ec)) {
      return Status::InvalidArgument("refusing to write the output over input '" + in + "'");
    }
    if (ScanWouldRead(in, target)) {
      return Status::InvalidArgument("refusing to write the output to '" + target +
                                     "': it is inside input folder '" + in +
                                     "' and the next run would read it as a manifest");
    }
  }
  return Status::Ok();
}

Status WriteInPlace(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return CannotWrite(path, errno);
  Status s = WriteToDescriptor(fd, content, path);
  if (::close(fd) != 0 && s.ok()) return CannotWrite(path, errno);
  return s;
}

Status WriteAtomically(const std::string& path, const std::string& content) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) return CannotWrite(path, errno);
  Status s = WriteToDescriptor(fd, content, path);
  if (s.ok() && fsync(fd) != 0) s = CannotWrite(path, errno);
  if (::close(fd) != 0 && s.ok()) s = CannotWrite(path, errno);
  // Keep the mode of a file being replaced; results are otherwise meant to be shared.
  struct stat old {};
  chmod(tmpl.c_str(), ::stat(path.c_str(), &old) == 0 ? (old.st_mode & 07777) : 0644);
  if (s.ok() && rename(tmpl.c_str(), path.c_str()) != 0) s = CannotWrite(path, errno);
  if (!s.ok()) unlink(tmpl.c_str());
  return s;
}

}  // namespace

Status WriteToDescriptor(int fd, const std::string& content, const std::string& what) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return CannotWrite(what, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status WriteOutput(const std::string& path, const std::string& content,
                   const std::vector<std::string>& inputs) {
  if (const int fd = DescriptorOf(path); fd >= 0) return WriteToDescriptor(fd, content, path);
  std::error_code ec;
  // A symlink is followed to its final target, which is then written like any path.
  std::string target = path;
  if (fs::is_symlink(path, ec)) {
    target = fs::weakly_canonical(fs::absolute(path, ec), ec).string();
    if (ec) return Status::IoError("cannot resolve symlink '" + path + "': " + ec.message());
  }
  if (Status s = CheckNotInput(target, inputs); !s.ok()) return s;
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("'" + path + "' is a folder");
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
        S_ISSOCK(st.st_mode)) {
      return WriteInPlace(target, content);
    }
  }
  return WriteAtomically(target, content);
}

}  // namespace meshproof::app
