#include "meshproof/engine/input.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace meshproof {

CappedRead ReadCapped(const std::string& path, std::size_t max_bytes, const std::string& what) {
  CappedRead r;
  const bool std_in = path == "-";
  int fd = std_in ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    r.status =
        err == ENOENT
            ? Status::NotFound("no such " + what + " '" + path + "'")
            : Status::IoError("cannot read " + what + " '" + path + "': " + std::strerror(err));
    return r;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!std_in) ::close(fd);
    r.status = Status::InvalidArgument("'" + path + "' is a folder, not a " + what);
    return r;
  }
  char buf[1 << 16];
  for (;;) {
    const std::size_t room = max_bytes + 1 - r.text.size();  // one byte more tells "too large"
    const ssize_t n = ::read(fd, buf, std::min(sizeof buf, room));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      if (!std_in) ::close(fd);
      r.status = Status::IoError("cannot read " + what + " '" + path + "': " + std::strerror(err));
      return r;
    }
    const std::size_t before = r.text.size();
    r.text.append(buf, static_cast<std::size_t>(n));
    const bool over = r.text.size() > max_bytes;
    if (over) r.text.resize(max_bytes);  // the extra byte only told us there is more
    if (const void* z = std::memchr(r.text.data() + before, '\0', r.text.size() - before)) {
      r.nul = static_cast<std::size_t>(static_cast<const char*>(z) - r.text.data());
      break;
    }
    if (over) {
      r.too_large = true;
      break;
    }
  }
  if (!std_in) ::close(fd);
  return r;
}

std::optional<std::string> CappedReadProblem(const CappedRead& r, const std::string& path,
                                             std::size_t max_bytes) {
  if (!r.status.ok()) return r.status.message();
  if (r.too_large)
    return "'" + path + "' is larger than " + std::to_string(max_bytes) + " bytes; not read";
  if (r.nul)
    return "'" + path + "' holds binary data (NUL byte at offset " + std::to_string(*r.nul) +
           "), not YAML or JSON";
  return std::nullopt;
}

}  // namespace meshproof
