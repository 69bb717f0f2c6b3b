// simulation.h: the discrete-event traffic simulation over a compiled mesh.
//
// A Simulator is a scenario compiled against a RouteGraph: every traffic source and every
// downstream call becomes a request class whose route is resolved once — the Service's
// TrafficSplit (weights; A/B `matches` by concrete RE2 matching), each backend's endpoints
// and replicas, and per replica whether the active profile's access policy allows the
// class (graph Access + MatchAdmits, as the mesh's server-side proxy would decide). A
// denied request fails fast with 403 and counts as `denied_count`.
//
// Each replication is independent and deterministic: its own Rng seeded with
// SplitMix64(seed + replication), events ordered by (time, sequence), no wall clock, no
// global state. Same seed, same result, for any number of threads.
//
// What is recorded (docs/scenarios.md has the full definitions):
//   server edges  identity -> workload, per attempt, latency at the server (queue + service
//                 + synchronous downstream calls); rejections (full queue) and denials are
//                 failures with latency 0
//   client edges  identity -> Service, per request after retries and timeouts, latency
//                 from send to final answer (network included)
//   split edges   identity -> TrafficSplit backend, per attempt routed by the split
//   nodes         per workload: arrivals, blocking, throughput, time-average number in
//                 system L, mean time in system W, utilisation (Little: L = throughput x W)
// Whole-run values exclude the warm-up; windows cover [0, duration).
//
// Memory is O(requests in flight): request state lives in slabs recycled on completion,
// and metrics are fixed-size histograms per edge (histogram.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/status.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/stats.h"

namespace meshproof::sim {

/// One metric set: counts over the span, latencies in seconds.
struct MetricValues {
  double success = 0;                          // success_count
  double failure = 0;                          // failure_count (denied requests included)
  double denied = 0;                           // denied_count (403 from access policy)
  double rps = 0;                              // (success + failure) / span
  double mean = 0, p50 = 0, p90 = 0, p99 = 0;  // seconds; 0 when no request
};

enum class EdgeSide : std::uint8_t { kServer, kClient, kSplit };

/// What an edge connects, for output.
struct EdgeInfo {
  EdgeSide side = EdgeSide::kServer;
  ObjectRef
      resource;    // server: the workload; client: the calling ServiceAccount; split: TrafficSplit
  ObjectRef peer;  // server: the calling ServiceAccount; client: the Service; split: calling SA
  // Split edges: the backend.
  std::string apex, backend;
  std::string weight;       // as written
  std::string key() const;  // stable sort key
};

struct NodeInfo {
  ObjectRef workload;
  int replicas = 0;
  int concurrency = 1;
  std::optional<int> queue_capacity;
  Discipline discipline = Discipline::kFifo;
  std::string service_time;  // described
};

struct NodeValues {
  double arrivals = 0;  // requests that reached a replica (accepted + blocked)
  double blocked = 0;   // rejected by a full queue
  double completions = 0;
  double throughput = 0;           // completions / span
  double blocking = 0;             // blocked / arrivals
  double mean_in_system = 0;       // L: time average over the span
  double mean_time_in_system = 0;  // W: of completions in the span
  double utilisation = 0;          // busy servers / (replicas x concurrency), time average
  MetricValues server;             // the server side over all callers (as server edges)
};

struct ReplicationResult {
  std::uint64_t seed = 0;
  std::vector<MetricValues> edges;                 // parallel to Simulator::edges()
  std::vector<std::vector<MetricValues>> windows;  // [edge][window]
  std::vector<NodeValues> nodes;                   // parallel to Simulator::nodes()
  std::uint64_t events = 0;                        // events processed (including stale timers)
  std::uint64_t requests = 0;                      // requests started by traffic sources
  std::size_t peak_in_flight = 0;                  // most request states alive at once
  std::size_t peak_pending_events = 0;
  /// Non-empty when the run stopped early because it would have held more memory than its
  /// budget: what it held and at which simulated time. Its values are then incomplete.
  std::string aborted;
  bool cancelled = false;  // stopped by SimulationOptions::cancel; values incomplete
};

/// How far a run (or a batch of runs) has come, reported about every 100 ms.
struct Progress {
  double fraction = 0;        // of all simulated time to do (0..1)
  std::size_t runs_done = 0;  // runs (a batch's points) with every replication finished
  std::size_t runs_total = 0;
  std::uint64_t events = 0;    // simulation events processed so far
  double elapsed_seconds = 0;  // wall time since the run started
  double events_per_second() const {
    return elapsed_seconds > 0 ? static_cast<double>(events) / elapsed_seconds : 0;
  }
};

/// What one replication has done so far, written by the replication's thread and read by
/// whoever reports progress.
struct ReplicationProgress {
  std::atomic<double> fraction{0};       // of its simulated time
  std::atomic<std::uint64_t> events{0};  // events processed
};

struct SimulationOptions {
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  std::optional<double> duration;
  /// Threads for replications; 0 = all cores. Results do not depend on it.
  int jobs = 0;
  /// Called about every 100 ms while the run goes (the last call has fraction 1), from one
  /// thread at a time; may be empty.
  std::function<void(const Progress&)> progress;
  /// The memory the run may hold, in bytes; 0 = DefaultMemoryBudget(). Enforced twice:
  /// up front from EstimateRun (refused unless `force`), and while running by the
  /// simulator's own accounting of what it holds (always; a replication past its share
  /// stops and the run fails with a status, never with an allocation failure).
  std::size_t max_memory = 0;
  /// Run even when the up-front estimate exceeds the memory or event budget.
  bool force = false;
  /// When set and it becomes true (a SIGINT handler, Python's KeyboardInterrupt), every
  /// replication stops within a few thousand events and the run's status is kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

/// Half of this machine's physical memory (sysconf), or 4 GiB when it cannot be read.
std::size_t DefaultMemoryBudget();

/// More events than this in a run (estimated up front) are refused unless forced: about
/// an hour of simulation on one core (docs/scenarios.md, "Limits").
inline constexpr double kMaxEstimatedEvents = 2e10;

/// What a run will need, estimated before it starts.
struct RunEstimate {
  std::size_t bytes = 0;  // metric windows kept for every replication, their aggregate and
                          // the JSON document, plus the request state of the offered load
  double events = 0;      // events over all replications
  std::size_t windows = 0;
};

/// Across replications: the mean of each value and its 95% confidence half-width.
struct MetricIntervals {
  Interval success, failure, denied, rps, mean, p50, p90, p99;
};
struct NodeIntervals {
  Interval arrivals, blocked, completions, throughput, blocking, mean_in_system,
      mean_time_in_system, utilisation;
  MetricIntervals server;
};

struct SimulationResult {
  std::uint64_t seed = 0;
  int replications = 0;
  double duration = 0, warmup = 0, window = 0;
  std::vector<EdgeInfo> edges;
  std::vector<NodeInfo> nodes;
  std::vector<MetricIntervals> edge_metrics;                 // whole run
  std::vector<std::vector<MetricIntervals>> window_metrics;  // [edge][window]
  std::vector<NodeIntervals> node_metrics;
  std::vector<ReplicationResult> runs;  // each replication, in order
  std::uint64_t events = 0;
  /// Not ok when the run was refused or stopped (memory or event budget, out of memory):
  /// the message says why and what to change; the other fields are then meaningless.
  Status status;
};

class Controller;
struct BatchRun;

/// What a Controller (control.h) may change during a run; fixed when the Simulator is
/// created so the compiled routes include what could be switched on.
struct ControlOptions {
  std::vector<std::size_t> dynamic_splits;  // model TrafficSplit indices: weights set at run time
                                            // (zero-weight backends stay routable)
  std::vector<std::size_t> gated_sources;   // Scenario::sources indices that start off
  std::vector<std::size_t> watched_nodes;   // node indices whose server responses are observed
  /// (node, other node): the first may take the second's identity at run time
  /// (ReplicationControl::AdoptIdentity), and access policy is decided for it from then on.
  std::vector<std::pair<std::size_t, std::size_t>> adoptable_identities;
};

class Simulator {
 public:
  /// Compiles `scenario` against `graph`. Problems (MP6002: unknown Service, workload,
  /// identity or port) go to `diags`; returns nullptr when any is an error.
  /// REQUIRES: graph (and its model) outlive the Simulator.
  static std::unique_ptr<Simulator> Create(const Scenario& scenario, const RouteGraph& graph,
                                           Diagnostics* diags);
  static std::unique_ptr<Simulator> Create(const Scenario& scenario, const RouteGraph& graph,
                                           Diagnostics* diags, const ControlOptions& control);
  ~Simulator();

  const std::vector<EdgeInfo>& edges() const;
  const std::vector<NodeInfo>& nodes() const;
  std::size_t window_count(double duration) const;

  /// One replication of `duration` simulated seconds with this seed. Thread-safe.
  /// `progress` (may be null) follows the fraction of simulated time and events done.
  /// With a controller (control.h), it runs inside the replication; it may stop it early.
  /// `memory_budget` (bytes, 0 = none) bounds what the replication may hold; past it the
  /// replication stops and says so in `aborted`. When `cancel` becomes true it stops and
  /// sets `cancelled`.
  ///
  /// Random numbers (common random numbers): each traffic source and each workload draws
  /// from its own stream seeded from (seed, its name), so a change to one workload does not
  /// shift the draws of any other, and points of a sweep differ only by what they change.
  ReplicationResult RunReplication(std::uint64_t seed, double duration,
                                   ReplicationProgress* progress = nullptr,
                                   Controller* controller = nullptr, std::size_t memory_budget = 0,
                                   const std::atomic<bool>* cancel = nullptr) const;

  /// All replications (scenario values unless overridden), in parallel, aggregated. When
  /// the run cannot be done within its budgets, `status` says why and nothing else is set.
  SimulationResult Run(const SimulationOptions& options) const;

  /// The memory and events a run of `replications` x `duration` simulated seconds needs.
  RunEstimate EstimateRun(double duration, int replications) const;

  struct Impl;

 private:
  friend std::vector<SimulationResult> RunBatch(const std::vector<BatchRun>& runs,
                                                const SimulationOptions& batch);
  explicit Simulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Many runs (a sweep's points) as one batch: every (run, replication) pair is a task of
/// one pool of `jobs` threads (0: all cores), so a grid keeps every core busy even when each
/// point has fewer replications than cores. Results are in input order and do not depend
/// on `jobs`. Each run's options (seed, replications, duration, memory, force) apply to it;
/// `jobs`, `progress` and `cancel` are taken from `batch`. Progress reports the fraction
/// of all tasks' simulated time done.
struct BatchRun {
  const Simulator* simulator = nullptr;
  SimulationOptions options;
};
std::vector<SimulationResult> RunBatch(const std::vector<BatchRun>& runs,
                                       const SimulationOptions& batch);

/// The seed of replication r (0-based) of a run seeded `seed`.
std::uint64_t ReplicationSeed(std::uint64_t seed, int r);

}  // namespace meshproof::sim

namespace meshproof::sim {

/// A loaded scenario compiled against its mesh and profile, ready to run many times.
struct PreparedScenario {
  std::unique_ptr<RouteGraph> graph;
  std::unique_ptr<Simulator> simulator;
  std::string profile;
};

/// Compiles `loaded` under its profile (or `profile_override`). MP6001/MP6002 problems are
/// added to loaded->diagnostics; simulator is null when there are errors.
/// REQUIRES: *loaded outlives the result (the graph refers to its model).
PreparedScenario PrepareScenario(LoadedScenario* loaded, const std::string& profile_override = "");

}  // namespace meshproof::sim
