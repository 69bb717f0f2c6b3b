// intents.h: checking what users pinned as must-allow / must-deny (MP5001, MP5002).
//
// Fields an intent leaves out are open: an allow intent holds when every such request the
// shape admits reaches every receiver... at identity/port level: when the source is allowed
// on every receiving identity of the destination (a concrete method/path/headers is
// matched against the granting HTTP matches with RE2 under the profile's anchoring). A
// deny intent holds when no receiver allows any request of that shape.
#pragma once

#include <string>
#include <vector>

#include "meshproof/engine/config.h"
#include "meshproof/engine/graph.h"

namespace meshproof {

/// Appends MP5001 (expected-allow denied, with the blocked-path explanation) and MP5002
/// (expected-deny allowed, with a witness and the granting TrafficTargets) to `out`.
void CheckIntents(const RouteGraph& graph, const std::vector<Intent>& intents, Diagnostics* out);

}  // namespace meshproof
