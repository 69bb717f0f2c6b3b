// git_source.h: reading manifests as they were at a git revision, for `meshproof diff --git`.
#pragma once

#include <string>
#include <vector>

#include "meshproof/engine/loader.h"
#include "meshproof/engine/status.h"

namespace meshproof::app {

/// Loads `paths` (files or folders of the working tree) as they are at revision `ref`
/// (e.g. origin/main). Files are named as in the working tree, so findings line up.
/// Fails (kInvalidArgument / kIoError) when git is missing, this is no repository, or the
/// revision does not exist.
StatusOr<LoadResult> LoadFromGit(const std::string& ref, const std::vector<std::string>& paths,
                                 const LoadOptions& options);

}  // namespace meshproof::app
