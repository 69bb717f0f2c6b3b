// render.h (solver): reach matrices and query answers as JSON, shared by the CLI and the
// Python module so both speak the same shapes.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "meshproof/engine/loader.h"
#include "meshproof/engine/render.h"
#include "meshproof/solver/diff.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"

namespace meshproof {

/// [{source, destination, port, protocol, verdict, deniedShare, receivers: [...]}, ...]
nlohmann::json ReachToJson(const RouteGraph& graph, const std::vector<ReachEntry>& matrix);

/// {verdict, deniedShare, witness, problem?, ports: [{port, protocol, verdict, because, blocked}]}
nlohmann::json QueryAnswerToJson(const QueryAnswer& answer);

/// A diff as JSON: {verdict, slices: [...], shares: [...], newFindings, fixedFindings,
/// changedObjects, slicesExamined, slicesStructural, unknown}.
nlohmann::json DiffToJson(const DiffResult& diff);
/// Readable in a terminal.
std::string DiffToText(const DiffResult& diff);
/// Ready to post as a pull-request comment.
std::string DiffToMarkdown(const DiffResult& diff);
/// SARIF 2.1.0 (engine's SarifLog) with results on the changed objects of `next` (grants on
/// the granting TrafficTarget, revocations on the Service, share changes on the
/// TrafficSplit), plus every new finding under its catalog code. URIs relative to
/// `srcroot` (%SRCROOT%).
nlohmann::json DiffToSarif(const DiffResult& diff, const LoadResult& next,
                           const std::string& srcroot);

}  // namespace meshproof
