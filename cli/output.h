// output.h: writing results where the user asked, safely.
#pragma once

#include <string>
#include <vector>

#include "meshproof/engine/status.h"

namespace meshproof::cli {

/// Writes `content` to `path` atomically: a temporary file in the same directory, flushed,
/// then renamed over `path`, so a reader never sees a half-written result. Refuses (with
/// kInvalidArgument) when `path` is one of `inputs`: meshproof never overwrites an input.
Status WriteFileAtomically(const std::string& path, const std::string& content,
                           const std::vector<std::string>& inputs);

}  // namespace meshproof::cli
