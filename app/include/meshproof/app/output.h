// output.h: writing results where the user asked, without ever destroying anything.
#pragma once

#include <string>
#include <vector>

#include "meshproof/engine/status.h"

namespace meshproof::app {

/// Writes `content` to `path` (--output-file):
/// - "-", /dev/stdout, /dev/stderr and /dev/fd/N write to that descriptor;
/// - a device or a FIFO is written in place (never replaced by a regular file);
/// - a symlink writes its final target atomically and stays a symlink;
/// - anything else is written atomically: a temporary file in the same folder, flushed,
///   then renamed over `path`, so a reader never sees half a result.
/// Refuses (kInvalidArgument) when `path` is one of `inputs` or a file that loading an
/// input folder would read (real paths compared): meshproof never overwrites its input.
Status WriteOutput(const std::string& path, const std::string& content,
                   const std::vector<std::string>& inputs);

/// Writes all of `content` to descriptor `fd`; an error (EPIPE, ENOSPC on /dev/full) is a
/// Status, so a result that did not reach its reader is never exit 0.
Status WriteToDescriptor(int fd, const std::string& content, const std::string& what);

}  // namespace meshproof::app
