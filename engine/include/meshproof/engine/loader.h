// loader.h: from paths (files, folders, stdin) to the typed model and its diagnostics.
//
// Pipeline (STYLE.md, Batfish-style): read bytes -> split into YAML documents -> parse each
// into a located tree -> validate against the kind's schema for its SMI version -> convert
// into the version-independent MeshModel -> finalize (duplicates, namespaces, sorting).
//
// Bad input is never an error return: syntax errors, schema errors, binary files, invalid
// UTF-8, alias bombs and absurd nesting become diagnostics (MP0001-MP0007) and the rest of
// the input is still loaded. Only operational failures (a path that does not exist or
// cannot be read) are reported as Status, in LoadResult::failures, and loading goes on
// with the other paths.
//
// Thread-safety: each call is independent; no global state.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/model.h"
#include "meshproof/engine/sources.h"
#include "meshproof/engine/status.h"

namespace meshproof {

struct LoadOptions {
  /// Namespace for objects without metadata.namespace, as `kubectl apply -n` would.
  std::string default_namespace = "default";
  /// Files larger than this are not parsed (MP0001 says why). 256 MiB by default.
  std::size_t max_file_bytes = std::size_t{256} << 20;
  /// A document whose aliases would expand beyond this many nodes is rejected as an
  /// alias bomb (MP0001). Real manifests stay far below it.
  std::size_t max_alias_expansion = 1'000'000;
  /// Where "-" reads from; nullptr means std::cin.
  std::istream* stdin_stream = nullptr;
  /// In-memory documents loaded after the paths, as (display name, text): objects a
  /// controller would create (Flagger's primary Deployment, Services and TrafficSplit).
  std::vector<std::pair<std::string, std::string>> extra_texts = {};
};

struct LoadResult {
  SourceSet sources;
  MeshModel model;
  Diagnostics diagnostics;  // sorted by location
  /// Paths that could not be read at all (exit code 2 territory). One line each.
  std::vector<Status> failures;
  std::size_t files_read = 0;
  std::size_t documents = 0;
};

/// Loads every path: a file (any extension), a folder (recursively, *.yaml, *.yml and
/// *.json in sorted order, hidden entries skipped) or "-" for standard input.
LoadResult LoadPaths(const std::vector<std::string>& paths, const LoadOptions& options = {});

/// Whether loading folder `folder` would read `file` (which need not exist): it lies under
/// the folder (real paths compared, symlinks resolved), no path component below the folder
/// is hidden, and it has a manifest extension. Output files must never be such files.
bool ScanWouldRead(const std::string& folder, const std::string& file);

/// One in-memory input per (display name, text) pair; for tests and the Python module.
LoadResult LoadTexts(const std::vector<std::pair<std::string, std::string>>& inputs,
                     const LoadOptions& options = {});

}  // namespace meshproof
