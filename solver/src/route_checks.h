// route_checks.h (private): the Z3-backed part of RunChecks.
#pragma once

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/solver/checks.h"

namespace meshproof {

void RunRouteChecks(const RouteGraph& graph, const CheckOptions& options, Diagnostics* out);

}  // namespace meshproof
