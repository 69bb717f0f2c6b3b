// scenario.h: the simulation input (`kind: Scenario`), its schema and its validation.
//
// A scenario names the manifests it applies to (`spec.mesh`) and adds what YAML manifests
// cannot say: traffic sources, per-workload behaviour, network latency, per-Service
// timeouts/retries/load balancing, duration, warm-up, metric window, seed, replications.
// The full schema, with every default, is docs/scenarios.md; scenarios/*/scenario.yaml
// are worked examples.
//
// Validation: every problem in the file becomes an MP6001 diagnostic at its file:line:col
// saying what was expected and what was found; references the mesh does not have (a
// Service, workload, identity or port) become MP6002 when the scenario is compiled
// against the mesh (simulation.h). Parsing never throws and reports all problems at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/sources.h"
#include "meshproof/simulator/random.h"

namespace meshproof::sim {

/// kMmpp: a two-state Markov-modulated Poisson process (bursty traffic; on/off when one
/// rate is 0): TrafficSource::mmpp_rates and mmpp_durations.
enum class ArrivalProcess : std::uint8_t { kPoisson, kConstant, kMmpp };
enum class Balancing : std::uint8_t { kRoundRobin, kRandom, kLeastRequest };
enum class Discipline : std::uint8_t { kFifo, kProcessorSharing };
const char* BalancingName(Balancing b);

/// The shape of a request: what access policy and TrafficSplit `matches` see.
struct RequestShape {
  double weight = 1;  // share within a mix (normalised)
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  Loc loc;
};

/// A piecewise-constant rate: from `at` seconds on, `rate` requests per second.
struct RatePoint {
  double at = 0;
  double rate = 0;
};

struct TrafficSource {
  std::string name;
  std::string from;         // "ns/serviceaccount": the calling identity
  std::string to;           // "ns/service"
  std::optional<int> port;  // a Service port; may be left out when the Service has one
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  /// Rate over time, sorted by `at`, first point at 0 (`rate:` alone is one point).
  std::vector<RatePoint> schedule;
  std::vector<RequestShape> mix;  // never empty after parsing (default: GET /)
  // kMmpp: the rate in each state (req/s) and the mean time spent in it (s, exponential).
  // The long-run rate is (r0 t0 + r1 t1) / (t0 + t1); `schedule` is then empty.
  double mmpp_rates[2] = {0, 0};
  double mmpp_durations[2] = {1, 1};
  Loc loc;
};

/// A downstream request a workload makes while serving one.
struct DownstreamCall {
  std::string to;  // "ns/service"
  std::optional<int> port;
  double probability = 1;  // `calls`: made independently with this probability;
                           // `next`: the routing probability of this hop
  int count = 1;           // fan-out: parallel requests when the call is made (`calls` only)
  bool required = true;    // a failed required call fails the parent request with 502
  RequestShape request;
  Loc loc;
};

/// How the replicas of one workload behave. Unset optionals take `spec.defaults`, then the
/// built-in defaults (docs/scenarios.md).
struct Behaviour {
  std::optional<int> replicas;               // default: the workload's own replicas (DaemonSet: 1)
  std::optional<int> concurrency;            // requests served at once per replica (1)
  std::optional<int> queue_capacity;         // waiting requests per replica; unbounded
  std::optional<Discipline> discipline;      // fifo
  std::optional<Distribution> service_time;  // exponential, mean 10 ms
  std::optional<double> error_rate;          // probability of a 500 after service (0)
  std::vector<DownstreamCall> calls;         // synchronous: the worker waits for them
  std::vector<DownstreamCall> next;          // forwarding (Jackson routing): one hop at most
  bool has_calls = false, has_next = false;
};

struct WorkloadSpec {
  std::string workload;  // "ns/name" of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod
  Behaviour behaviour;
  Loc loc;
};

struct RetryPolicy {
  int retries = 0;                  // retries after the first attempt
  double per_try_timeout = 0;       // seconds; 0 = none
  bool on_5xx = true;               // 500, 502, 503, 504 (incl. per-try timeouts and rejections)
  bool on_gateway_error = false;    // 502, 503, 504 only
  bool on_connect_failure = false;  // rejected by a full queue, or no endpoint
  double backoff_base = 0.025;      // Envoy: fully jittered exponential, base 25 ms ...
  double backoff_max = 0.250;       // ... capped at 10 x base
};

/// Client-side policy for requests to one Service (as Linkerd annotations or an Envoy
/// route would set it).
struct RoutePolicy {
  std::string service;  // "ns/service"
  double timeout = 0;   // whole request including retries; 0 = none
  RetryPolicy retry;
  std::optional<Balancing> balancing;
  Loc loc;
};

/// A change of a workload's behaviour at a moment of the run (a canary degrading).
struct BehaviourChange {
  double at = 0;
  std::optional<double> error_rate;
  std::optional<Distribution> service_time;
};

/// `spec.canary`: a Flagger rollout to predict (`meshproof canary`, canary.h).
struct CanarySettings {
  std::string name;                  // namespace/name of the Canary; empty: the only one
  std::string provider = "linkerd";  // Flagger's -mesh-provider, for Canaries without one
  bool provider_given = false;       // the scenario states the mesh provider
  bool random_detection = true;      // first tick at a uniform phase after the change; else at once
  std::optional<double> horizon;     // simulated time limit; default from the rollout's length
  std::string bucket_layout = "linkerd";  // linkerd | istio | osm | custom
  std::vector<double> buckets_ms;         // latency histogram `le` bounds in ms
  Behaviour primary, canary;              // the old and the new revision
  std::string primary_service_account;    // the old revision's identity (default: the target's)
  std::vector<BehaviourChange> canary_changes;
  bool load_tester = true;                 // simulate the rollout webhook's load generator
  std::optional<double> load_tester_rate;  // default: from `hey -q Q -c C`
  std::string load_tester_from;  // identity; default <canary namespace>/flagger-loadtester
  Loc loc;
};

/// A service-level objective checked on every run (`spec.slos`, slo.h evaluates it).
struct Slo {
  std::string name;
  // The edge: a client edge (`from` identity -> `to` Service, after retries, as the caller
  // sees it), or the server side of `workload` (every caller's attempts at it).
  std::string from, to, workload;
  std::string metric;  // a TrafficMetrics metric, success_rate or error_rate
  bool is_max = true;  // `max:` (the value must stay at or below) or `min:`
  double bound = 0;    // seconds for latencies, fractions for rates, counts, req/s
  Loc loc;
};

/// The metrics an SLO may name; latencies take a duration as their bound.
const std::vector<std::string>& SloMetrics();
bool IsLatencyMetric(const std::string& metric);

struct Scenario {
  std::string name;
  std::string file;               // as given
  std::vector<std::string> mesh;  // manifest paths, resolved against the scenario's folder
  std::string profile = "spec";
  /// spec.permissive: the mesh runs in permissive traffic policy mode (profile.h), every
  /// request allowed by access policy. Off unless the scenario or --permissive says so.
  bool permissive = false;
  std::string default_namespace = "default";
  std::uint64_t seed = 1;
  double duration = 60;  // simulated seconds
  double warmup = 0;     // excluded from whole-run metrics
  double window = 30;    // metric window
  int replications = 1;
  Distribution network_latency;  // per hop, each direction (default 0)
  Balancing balancing = Balancing::kRoundRobin;
  Behaviour defaults;
  std::vector<TrafficSource> sources;
  std::vector<WorkloadSpec> workloads;
  std::vector<RoutePolicy> routes;
  std::optional<CanarySettings> canary;
  std::vector<Slo> slos;
};

/// The bucket bounds (ms) of a mesh's request latency histogram; empty for an unknown name.
std::vector<double> LatencyBucketsMs(const std::string& layout);

/// One change to a scenario's spec made outside the file (`--set PATH=VALUE`, a shorthand
/// such as `--seed 7`, or a Python `overrides=` entry), applied before validation.
///
/// PATH addresses the spec: fields joined by '.', list elements by `[KEY]` where KEY is
/// the element's `name`, `workload` or `service`, or its index (`sources[charges].rate`,
/// `workloads[shop/cart].replicas`, `workloads[shop/cart].serviceTime.mean`,
/// `routes[shop/cart].retries.attempts`, `network.latency`); a leading `spec.` is allowed.
/// A workload or route of the mesh without an entry gets one; a missing distribution starts
/// from spec.defaults (or the built-in default); a field the element's distribution does
/// not have is an error. VALUE is read as YAML.
struct Override {
  std::string path;
  std::string value;
  std::string origin;  // as the user wrote it ("--set a=b", "--seed 7"): problems are
                       // located in a source of this name
};

/// Parses scenario text. Problems go to `diags` (MP6001) located in `file`; the returned
/// Scenario holds whatever was valid. `dir` resolves relative mesh paths.
Scenario ParseScenario(const std::string& text, FileId file, const std::string& dir,
                       Diagnostics* diags);
/// The same with `overrides` applied in order; problems in override k are located in
/// `override_files[k]` (a source holding its value).
Scenario ParseScenario(const std::string& text, FileId file, const std::string& dir,
                       const std::vector<Override>& overrides,
                       const std::vector<FileId>& override_files, Diagnostics* diags);

/// A scenario file and the mesh it names, loaded.
struct LoadedScenario {
  Scenario scenario;
  SourceSet scenario_source;  // the scenario file (FileId 0), for quoting MP6001/MP6002
  Diagnostics diagnostics;    // MP6001 (and MP6002 once compiled)
  LoadResult mesh;            // manifests, their diagnostics and failures
  /// Operational failures: the scenario file itself could not be read.
  std::vector<Status> failures;
  /// True when the scenario has errors (MP6001/MP6002) or could not be read.
  bool HasErrors() const;
  /// The operational failures (scenario or manifests unreadable), one message each.
  std::vector<std::string> FailureMessages() const;
};

/// Reads `path` and loads the manifests it names.
LoadedScenario LoadScenario(const std::string& path, const std::vector<Override>& overrides = {});
/// The same from text (Python, tests): `dir` resolves `spec.mesh`.
LoadedScenario LoadScenarioText(const std::string& text, const std::string& name,
                                const std::string& dir,
                                const std::vector<Override>& overrides = {});

/// The longest simulated time anything may last: 1e9 s (about 31.7 years). A longer span
/// is a typo (1e308h) or a run that could never finish.
inline constexpr double kMaxDurationSeconds = 1e9;
inline constexpr const char* kMaxDurationText = "1e9s (about 31 years)";

/// "250ms", "1.5s", "2m", "1h", "500us", or a bare number of seconds; nullopt for
/// anything else, and for spans that are not finite or longer than kMaxDurationSeconds
/// after the unit is applied.
std::optional<double> ParseDuration(const std::string& text);

}  // namespace meshproof::sim
