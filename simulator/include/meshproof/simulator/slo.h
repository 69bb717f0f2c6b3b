// slo.h: verdicts on a scenario's service-level objectives (`spec.slos`) for one run.
//
// Each SLO's metric is read per replication on its edge (a client edge as the caller
// sees it, after retries; or the server side of a workload over all callers). The verdict
// comes from the 95% interval of the mean across replications: `met` when the whole
// interval is on the good side of the bound, `violated` when it is all on the bad side,
// `uncertain` when it straddles. With one replication there is no interval: the value
// decides and ci95 is empty. Rates are fractions; `success_rate` counts denials as
// failures (the caller's view). Latencies are seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/simulation.h"

namespace meshproof::sim {

enum class SloVerdict : std::uint8_t { kMet, kUncertain, kViolated };
const char* SloVerdictName(SloVerdict v);  // "met", "uncertain", "violated"

struct SloResult {
  std::string name, metric;
  std::string edge;  // "ns/sa -> ns/service" or "ns/workload"
  SloVerdict verdict = SloVerdict::kUncertain;
  std::optional<double> value;                    // mean over replications with data
  std::optional<std::pair<double, double>> ci95;  // none with one replication
  double bound = 0;
  bool is_max = true;
  std::string note;  // why the verdict is what it is when that is not plain
};

/// The verdicts for `slos` on a completed run (result.status ok, result.runs set).
std::vector<SloResult> EvaluateSlos(const std::vector<Slo>& slos, const SimulationResult& result);

/// Every SLO `violated` because the run could not complete (`reason`: over its memory
/// budget, overloaded): a sweep point past its budget is an answer, not an error.
std::vector<SloResult> FailedSlos(const std::vector<Slo>& slos, const std::string& reason);

/// The worst verdict (violated > uncertain > met); met when there are none.
SloVerdict WorstVerdict(const std::vector<SloResult>& results);

/// MP6002 for an SLO whose edge the compiled scenario carries no traffic on (a typo, or a
/// caller that never calls): reported at the SLO.
void CheckSloEdges(const std::vector<Slo>& slos, const std::vector<EdgeInfo>& edges,
                   const std::vector<NodeInfo>& nodes, Diagnostics* diags);

}  // namespace meshproof::sim
