// schemas.h (private): the schema of every kind and SMI version meshproof reads.
#pragma once

#include <string>
#include <vector>

#include "schema.h"

namespace meshproof::schema {

enum class SmiKind : std::uint8_t {
  kTrafficTarget,
  kHTTPRouteGroup,
  kTCPRoute,
  kUDPRoute,
  kTrafficSplit
};

/// "TrafficTarget" etc.
const char* SmiKindName(SmiKind k);
/// "access.smi-spec.io" etc.
const char* SmiGroup(SmiKind k);
/// The versions that exist for the kind (1 = v1alpha1), ascending. TrafficTarget v1alpha4
/// is the post-v0.6.0 draft.
const std::vector<int>& SmiVersions(SmiKind k);
/// The schema of the whole object (apiVersion, kind, metadata, ...). nullptr if the
/// version does not exist for the kind.
const Schema* SmiSchema(SmiKind k, int version);

/// Whole-object schemas for the Kubernetes kinds meshproof models, or nullptr.
const Schema* KubernetesSchema(const std::string& kind);

}  // namespace meshproof::schema
