#include "meshproof/simulator/slo.h"

#include <cmath>

#include "meshproof/simulator/stats.h"

namespace meshproof::sim {
namespace {

std::string RefText(const ObjectRef& r) { return r.namespace_ + "/" + r.name; }

// The metric of one replication; nullopt when the edge saw no request in it.
std::optional<double> Read(const std::string& metric, const MetricValues& v) {
  const double total = v.success + v.failure;
  if (metric == "success_count") return v.success;
  if (metric == "failure_count") return v.failure;
  if (metric == "denied_count") return v.denied;
  if (metric == "requests_per_second") return v.rps;
  if (total <= 0) return std::nullopt;
  if (metric == "success_rate") return v.success / total;
  if (metric == "error_rate") return v.failure / total;
  if (metric == "mean_response_latency") return v.mean;
  if (metric == "p50_response_latency") return v.p50;
  if (metric == "p90_response_latency") return v.p90;
  if (metric == "p99_response_latency") return v.p99;
  return std::nullopt;
}

// The values of `slo` across the run's replications (those with data).
std::vector<double> Values(const Slo& slo, const SimulationResult& r, bool* found) {
  std::vector<double> out;
  *found = false;
  for (std::size_t e = 0; e < r.edges.size() && slo.workload.empty(); ++e) {
    const EdgeInfo& info = r.edges[e];
    if (info.side != EdgeSide::kClient || RefText(info.resource) != slo.from ||
        RefText(info.peer) != slo.to)
      continue;
    *found = true;
    for (const auto& run : r.runs) {
      if (auto x = Read(slo.metric, run.edges[e])) out.push_back(*x);
    }
  }
  for (std::size_t n = 0; n < r.nodes.size() && !slo.workload.empty(); ++n) {
    if (RefText(r.nodes[n].workload) != slo.workload) continue;
    *found = true;
    for (const auto& run : r.runs) {
      if (auto x = Read(slo.metric, run.nodes[n].server)) out.push_back(*x);
    }
  }
  return out;
}

bool Good(const Slo& slo, double x) { return slo.is_max ? x <= slo.bound : x >= slo.bound; }

}  // namespace

const char* SloVerdictName(SloVerdict v) {
  switch (v) {
    case SloVerdict::kMet:
      return "met";
    case SloVerdict::kViolated:
      return "violated";
    case SloVerdict::kUncertain:
      break;
  }
  return "uncertain";
}

namespace {

// An SLO's result with what it states filled in and no verdict yet.
SloResult ResultFor(const Slo& slo) {
  SloResult s;
  s.name = slo.name;
  s.metric = slo.metric;
  s.edge = slo.workload.empty() ? slo.from + " -> " + slo.to : slo.workload;
  s.bound = slo.bound;
  s.is_max = slo.is_max;
  return s;
}

}  // namespace

std::vector<SloResult> EvaluateSlos(const std::vector<Slo>& slos, const SimulationResult& result) {
  std::vector<SloResult> out;
  for (const Slo& slo : slos) {
    SloResult s = ResultFor(slo);
    bool found = false;
    const std::vector<double> xs = Values(slo, result, &found);
    if (xs.empty()) {
      s.verdict = SloVerdict::kUncertain;
      s.note = "no request on this edge after the warm-up: nothing to judge";
    } else if (xs.size() == 1) {
      s.value = xs[0];
      s.verdict = Good(slo, xs[0]) ? SloVerdict::kMet : SloVerdict::kViolated;
      s.note = "one replication: no interval, the value decides";
    } else {
      const Interval iv = ConfidenceInterval(xs, 0.95);
      s.value = iv.mean;
      s.ci95 = std::make_pair(iv.low(), iv.high());
      const bool low_good = Good(slo, iv.low()), high_good = Good(slo, iv.high());
      s.verdict = low_good && high_good     ? SloVerdict::kMet
                  : !low_good && !high_good ? SloVerdict::kViolated
                                            : SloVerdict::kUncertain;
      if (xs.size() < result.runs.size()) {
        s.note = std::to_string(result.runs.size() - xs.size()) +
                 " replication(s) without a request on this edge left out";
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<SloResult> FailedSlos(const std::vector<Slo>& slos, const std::string& reason) {
  std::vector<SloResult> out;
  for (const Slo& slo : slos) {
    SloResult s = ResultFor(slo);
    s.verdict = SloVerdict::kViolated;
    s.note = reason;
    out.push_back(std::move(s));
  }
  return out;
}

SloVerdict WorstVerdict(const std::vector<SloResult>& results) {
  SloVerdict worst = SloVerdict::kMet;
  for (const SloResult& r : results) worst = std::max(worst, r.verdict);
  return worst;
}

void CheckSloEdges(const std::vector<Slo>& slos, const std::vector<EdgeInfo>& edges,
                   const std::vector<NodeInfo>& nodes, Diagnostics* diags) {
  for (const Slo& slo : slos) {
    bool found = false;
    for (const EdgeInfo& e : edges) {
      found = found || (slo.workload.empty() && e.side == EdgeSide::kClient &&
                        RefText(e.resource) == slo.from && RefText(e.peer) == slo.to);
    }
    for (const NodeInfo& n : nodes) found = found || RefText(n.workload) == slo.workload;
    if (found) continue;
    diags->Report(DiagCode::MP6002, slo.loc,
                  "SLO '" + slo.name + "': " +
                      (slo.workload.empty()
                           ? "no traffic from " + slo.from + " to " + slo.to +
                                 " in this scenario (a source or a downstream call makes a "
                                 "client edge)"
                           : "no workload " + slo.workload + " serves traffic in this scenario"));
  }
}

}  // namespace meshproof::sim
