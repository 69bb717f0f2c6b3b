// verify.h: the whole `meshproof verify` pipeline over loaded manifests, for the CLI and
// the Python module alike: compile under the profile, run every check, evaluate intents,
// then apply the user's configuration (severity overrides, suppressions).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/config.h"
#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/profile.h"

namespace meshproof {

struct VerifyOptions {
  ProfileId profile = ProfileId::kSpec;
  /// Permissive traffic policy mode (profile.h): every request is allowed, and the
  /// TrafficTarget findings say the targets are not enforced.
  bool permissive = false;
  Config config;  // severity overrides, suppressions, requireWeightSum, intents
  bool portability = true;
  /// See CheckOptions: limits the route-level checks (used by diff).
  std::function<bool(const TrafficTarget&)> route_target_scope;
  std::function<bool(const HTTPRouteGroup&)> route_group_scope;
};

/// Every finding about `loaded` (its load diagnostics included), sorted by location, with
/// the configuration applied. Suppressed findings are dropped; `suppressed` (optional)
/// receives how many were.
Diagnostics Verify(const LoadResult& loaded, const VerifyOptions& options,
                   std::size_t* suppressed = nullptr);

}  // namespace meshproof
