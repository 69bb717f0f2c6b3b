// render.h (solver): reach matrices and query answers as JSON, shared by the CLI and the
// Python module so both speak the same shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"

namespace meshproof {

/// [{source, destination, port, protocol, verdict, deniedShare, receivers: [...]}, ...]
nlohmann::json ReachToJson(const RouteGraph& graph, const std::vector<ReachEntry>& matrix);

/// {verdict, deniedShare, witness, problem?, ports: [{port, protocol, verdict, because, blocked}]}
nlohmann::json QueryAnswerToJson(const QueryAnswer& answer);

}  // namespace meshproof
