// overrides.h (private to simulator/): `--set PATH=VALUE` applied to a scenario's located
// YAML tree before validation, so an overridden value is checked exactly like one written
// in the file, and a problem in it is located in the override (its own source file, named
// the way the user wrote it) instead of the scenario.
#pragma once

#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/yaml_tree.h"
#include "meshproof/simulator/scenario.h"

namespace meshproof::sim {

/// Where nodes that did not come from the scenario file came from.
using NodeOrigins = std::unordered_map<const yaml::Node*, FileId>;

/// The fields a distribution of `kind` takes besides `distribution:` (empty: unknown kind).
std::vector<std::string> DistributionFields(const std::string& kind);

/// Returns `spec` with every override applied, in order. Containers on an override's path
/// are copied (never modified in place: an anchored node may be shared), new nodes live in
/// `arena`, and parsed override values in `values`. Nodes built from override k are
/// recorded in `origins` with files[k]. Problems (a path that does not address anything,
/// a value that is not YAML, a field the distribution does not have) are MP6001 in files[k].
const yaml::Node* ApplyOverrides(const yaml::Node* spec, const std::vector<Override>& overrides,
                                 const std::vector<FileId>& files, std::deque<yaml::Node>* arena,
                                 std::vector<std::unique_ptr<yaml::ParsedFile>>* values,
                                 NodeOrigins* origins, Diagnostics* diags);

}  // namespace meshproof::sim
