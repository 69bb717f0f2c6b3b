#include "output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace meshproof::cli {

namespace fs = std::filesystem;

Status WriteFileAtomically(const std::string& path, const std::string& content,
                           const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const std::string& in : inputs) {
    if (in == "-") continue;
    if (fs::exists(path, ec) && fs::equivalent(path, in, ec)) {
      return Status::InvalidArgument("refusing to write output over input '" + in + "'");
    }
  }
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    return Status::IoError("cannot write '" + path + "': " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      close(fd);
      unlink(tmpl.c_str());
      return Status::IoError("cannot write '" + path + "': " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    std::string err = std::strerror(errno);
    unlink(tmpl.c_str());
    return Status::IoError("cannot write '" + path + "': " + err);
  }
  chmod(tmpl.c_str(), 0644);  // mkstemp creates 0600; results are meant to be shared
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    unlink(tmpl.c_str());
    return Status::IoError("cannot write '" + path + "': " + err);
  }
  return Status::Ok();
}

}  // namespace meshproof::cli
