// canary_checks.h: the Flagger checks `verify` runs on the Canary objects among the
// manifests, with no scenario and no simulation.
//
// Each Canary is read as Flagger reads it (flagger.h ParseCanaries, CanaryUse::kVerify):
// settings Flagger's SMI routers mishandle (MP7001), a missing MetricTemplate (MP7002),
// settings Flagger clamps or ignores (MP7003). What only the simulator cannot follow
// (non-SMI providers, template queries it cannot compute) is not a verify finding.
//
// Then the access policy, for a Canary routed through an SMI TrafficSplit whose target
// Deployment is in the manifests: the canary runs as the Deployment's ServiceAccount, and
// Flagger's promotion copies that ServiceAccount to the primary. When the TrafficTargets
// do not open it to the callers of the Canary's Service, the outcome is decided before any
// rollout, by what the Canary's metrics see of a denial (flagger.h DenialVisibility):
//   - nobody is admitted and every metric check fails on it (no data where the proxy
//     does not record denials, linkerd and osm; 0% where a template counts 403s): MP7005,
//     Flagger rolls back after `threshold` failed checks;
//   - the checks pass (403 recorded as a success by Istio's observer for smi:* providers,
//     or some callers still admitted): MP7004, Flagger promotes and the primary then
//     denies those callers.
// The callers of the Service are the sources the TrafficTargets open to the identities
// that serve it today (the Service and <service>-primary when in the manifests,
// <target>-primary's ServiceAccount, an identity named after the target or the Service
// that runs no workload any more). When nobody is admitted at all, TrafficTargets of
// the namespace whose destination runs no workload are named as the likely old identity.
// Each finding carries a witness request that the compiled policy denies (re-checked).
// Under a profile that does not enforce access (linkerd, permissive mode), there is no
// access finding.
#pragma once

#include <string>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"

namespace meshproof::sim {

/// The provider Flagger uses for a Canary without spec.provider, as verify assumes it:
/// osm under the osm profile, linkerd otherwise (the canary command's default).
std::string DefaultCanaryProvider(const Profile& profile);

/// Appends the Flagger findings about the Canaries in `loaded.sources` to `out`, with
/// `loaded.model` read under `profile` (the one verify uses). Objects without a namespace
/// are in `default_namespace`. Nothing when there is no Canary.
void CheckCanaries(const LoadResult& loaded, const Profile& profile,
                   const std::string& default_namespace, Diagnostics* out);

}  // namespace meshproof::sim
