// input.h: reading a file a user named, without trusting it to be a file.
//
// A path may name a regular file, a FIFO, a character device (/dev/zero, /dev/stdin) or a
// file that grows while it is read. Everything is read with read(2) in chunks and the
// limits are enforced while reading, never after: past `max_bytes`, or at the first NUL
// byte (YAML and JSON never hold one, so the input is binary), reading stops. A folder is
// refused up front.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "meshproof/engine/status.h"

namespace meshproof {

struct CappedRead {
  Status status;                   // an I/O error, a folder, or a path that does not exist
  std::string text;                // what was read (the first max_bytes at most)
  bool too_large = false;          // more than max_bytes were there; text is incomplete
  std::optional<std::size_t> nul;  // offset of the first NUL byte; reading stopped there
};

/// Reads `path`; "-" reads standard input (fd 0). `what` names the input in messages
/// ("settings file", "scenario").
CappedRead ReadCapped(const std::string& path, std::size_t max_bytes,
                      const std::string& what = "file");

/// The one-line problem with a read that must not be used (not ok, too large or binary);
/// nullopt when `r.text` is the whole, textual input.
std::optional<std::string> CappedReadProblem(const CappedRead& r, const std::string& path,
                                             std::size_t max_bytes);

/// The default cap for small inputs a user names (settings, intents, scenarios): 16 MiB.
inline constexpr std::size_t kMaxSmallInputBytes = std::size_t{16} << 20;

}  // namespace meshproof
