#include "meshproof/solver/verify.h"

#include "meshproof/engine/graph.h"
#include "meshproof/solver/checks.h"
#include "meshproof/solver/intents.h"

namespace meshproof {

Diagnostics Verify(const LoadResult& loaded, const VerifyOptions& options,
                   std::size_t* suppressed) {
  Diagnostics all = loaded.diagnostics;
  RouteGraph graph = CompileGraph(loaded.model, GetProfile(options.profile, options.permissive));
  CheckOptions co;
  co.require_weight_sum = options.config.require_weight_sum;
  co.portability = options.portability;
  co.route_target_scope = options.route_target_scope;
  co.route_group_scope = options.route_group_scope;
  if (options.config.solver_timeout_ms) co.solver_timeout_ms = *options.config.solver_timeout_ms;
  if (options.config.over_broad_sources)
    co.broad_grant_sources = *options.config.over_broad_sources;
  RunChecks(graph, co, &all);
  CheckIntents(graph, options.config.intents, &all);

  Diagnostics out;
  std::size_t dropped = 0;
  for (Diagnostic d : all.items()) {
    auto sev = options.config.severity.find(d.code);
    if (sev != options.config.severity.end()) {
      if (!sev->second) {
        ++dropped;
        continue;  // "off"
      }
      d.severity = *sev->second;
    }
    bool hidden = false;
    for (const Suppression& s : options.config.suppressions) hidden = hidden || s.Matches(d);
    if (hidden) {
      ++dropped;
      continue;
    }
    out.Add(std::move(d));
  }
  out.Sort();
  if (suppressed) *suppressed = dropped;
  return out;
}

}  // namespace meshproof
