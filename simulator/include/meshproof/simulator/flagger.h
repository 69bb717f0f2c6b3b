// flagger.h: Flagger's Canary as data, and its analysis state machine.
//
// ParseCanaries reads flagger.app/v1beta1 Canary and MetricTemplate objects from the
// manifests and applies Flagger's defaults and clamps (docs/reference/canary-and-metrics.md 1.1):
// interval default 60s and >= 10s, threshold <= 0 -> 1, maxWeight 0 -> 100 (or the last
// stepWeights entry), metric interval default 1m, deprecated scalar thresholds. What the
// SMI routers mishandle is rejected (MP7001: mirror; match with iterations; providers that
// do not route through a TrafficSplit), template queries the simulator cannot answer are
// MP7002, and clamps or ignored settings are MP7003.
//
// FlaggerStateMachine is advanceCanary (scheduler.go, 1.2) tick by tick, with readiness
// and webhooks assumed to pass: weight read back from the split, the first step without
// metric checks, at most one failed check per tick, the weight held while checks fail,
// rollback on the tick after failedChecks reaches the threshold, Promoting and Finalising
// ticks, events worded as Flagger words them. It is pure: metric values come from a
// callback, so it is tested against the documented timelines without a simulation.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/sources.h"

namespace meshproof::sim {

/// What a metric check measures on the canary's inbound (server-side) traffic.
enum class MetricQuery : std::uint8_t {
  kSuccessRatePercent,  // builtin request-success-rate; templates: non-failure ratio x 100
  kSuccessRatio,        // the same without x 100
  kErrorRatePercent,    // failure ratio x 100
  kErrorRatio,
  kLatencyQuantile,  // builtin request-duration (p99, ms); templates: histogram_quantile
  kRequestRate,      // requests per second
};

/// Whether the metric a query reads records requests the access policy denied: Linkerd's
/// inbound proxy rejects them before its metrics layer, OSM's destination proxy drops them
/// by network RBAC before the HTTP stats filter (the caller's proxy records them with
/// destination "unknown"), Istio's destination proxy records them as 403.
enum class DenialVisibility : std::uint8_t { kInvisible, kRecorded };

/// What the named metric family records of a denial: response_total / response_latency_ms
/// (Linkerd) and osm_request_* invisible, istio_request* recorded; nullopt: not known.
std::optional<DenialVisibility> DenialsSeenByMetric(const std::string& query);
/// The observer a provider's builtin checks use (observers/factory.go): linkerd and osm
/// their own, every other provider (smi:*, ...) Istio's.
DenialVisibility DenialsSeenByObserver(const std::string& metrics_provider);

struct CanaryMetric {
  std::string name;
  double interval = 60;            // seconds: the trailing rate(...[interval]) window
  std::optional<double> min, max;  // thresholdRange (deprecated scalar threshold mapped)
  MetricQuery query = MetricQuery::kSuccessRatePercent;
  double quantile = 0.99;
  double latency_unit = 1e-3;  // seconds per unit of the value (ms for Prometheus _ms buckets)
  DenialVisibility denials = DenialVisibility::kInvisible;
  bool fails_5xx = true;      // the query counts 5xx responses as failures
  bool fails_403 = false;     // ... and 403 (a template matching response_code 4.*)
  bool builtin = true;        // request-success-rate / request-duration through the observer
  bool inline_query = false;  // metric.query: checked with the builtins, by name
  std::string template_name;
  Loc loc;
};

struct CanaryWebhook {
  std::string name;
  std::string type;  // pre-rollout, rollout, ...
  std::string cmd;   // metadata.cmd
};

struct CanarySpec {
  std::string namespace_, name;
  std::string provider;  // spec.provider, or the default provider
  /// The observer the builtin metrics go through (runBuiltinMetricChecks): spec.provider,
  /// but "linkerd" whenever Flagger's -mesh-provider is a Linkerd one.
  std::string metrics_provider;
  std::string target;                      // targetRef.name (a Deployment)
  std::string target_kind = "Deployment";  // targetRef.kind
  std::string service;  // the apex Service: spec.service.name, else the target's name
  int port = 80;
  int target_port = 0;  // 0: same as port
  std::string target_port_name;
  double interval = 60;
  int threshold = 1;
  int max_weight = 100;
  int step_weight = 0;
  std::vector<int> step_weights;
  int step_weight_promotion = 0;
  int iterations = 0;
  bool skip_analysis = false;
  std::vector<CanaryMetric> metrics;
  std::vector<CanaryWebhook> webhooks;
  /// From a rollout webhook running `hey ... -q Q -c C`: Q x C requests per second sent
  /// straight to <service>-canary.
  std::optional<double> load_test_rate;
  Loc loc;

  /// Canary weight steps until maxWeight (or iterations for Blue/Green): n of 1.2.
  int Steps() const;
  /// Flagger's nextStepWeight for the current canary weight; 0 = cannot advance.
  int NextStep(int canary_weight) const;
};

/// What a Canary is read for. A prediction reports everything the simulator cannot
/// follow (providers without an SMI TrafficSplit, non-Deployment targets, template queries
/// it cannot compute); `verify` reports only what Flagger itself will do with the Canary.
enum class CanaryUse : std::uint8_t { kPrediction, kVerify };

/// Every Canary in the files of `sources` (MetricTemplates resolved), with diagnostics.
/// Objects without metadata.namespace land in `default_namespace`.
/// `mesh_provider` is Flagger's -mesh-provider when known (a Linkerd one makes every
/// Canary's builtin metrics Linkerd's); empty: not stated.
std::vector<CanarySpec> ParseCanaries(const SourceSet& sources, const std::string& default_provider,
                                      const std::string& default_namespace, Diagnostics* diags,
                                      const std::string& mesh_provider = "",
                                      CanaryUse use = CanaryUse::kPrediction);
/// Whether `provider` routes through an SMI TrafficSplit (linkerd, osm, smi:*).
bool SmiProvider(const std::string& provider);

/// "1m30s", "15s", "500ms" as Go's time.ParseDuration reads them.
std::optional<double> ParseGoDuration(const std::string& text);
/// A time.Duration of `nanoseconds` as Go's Duration.String prints it ("99ms", "1.2s",
/// "1m30s", "0s").
std::string GoDurationString(std::int64_t nanoseconds);
/// A float64 as Go's %v prints it: the shortest representation that reads back, in
/// exponent form below 1e-4 and from 1e6 on ("99", "99.5", "1e-05", "1e+06").
std::string GoFloatString(double v);

enum class CanaryPhase : std::uint8_t {
  kInitialized,
  kProgressing,
  kPromoting,
  kFinalising,
  kSucceeded,
  kFailed
};
const char* CanaryPhaseName(CanaryPhase p);  // as Flagger names them

struct MetricReading {
  bool has_value = false;  // false: no data (empty result or NaN)
  double value = 0;        // in the metric's unit
};

struct CheckRecord {
  std::string name;
  std::optional<double> value;
  std::string verdict;  // "pass", "fail", "no data"
};

struct TickRecord {
  int tick = 0;
  double time = 0;
  CanaryPhase phase = CanaryPhase::kInitialized;  // after the tick
  int canary_weight = 0;
  int failed_checks = 0;
  int iterations = 0;
  std::vector<CheckRecord> checks;
  std::vector<std::string> events;
};

class FlaggerStateMachine {
 public:
  explicit FlaggerStateMachine(CanarySpec spec);

  /// One advanceCanary call at `now`; `measure` is asked only for metrics checked now.
  TickRecord Tick(double now, const std::function<MetricReading(const CanaryMetric&)>& measure);

  CanaryPhase phase() const { return phase_; }
  int canary_weight() const { return canary_; }
  int primary_weight() const { return primary_; }
  int failed_checks() const { return failed_; }
  /// The canary spec has been copied onto the primary (Promoting onwards).
  bool primary_updated() const { return primary_updated_; }
  /// Rollout webhooks (the load tester) run: analysis ticks after the first step.
  bool analysing() const { return analysing_; }
  bool done() const { return phase_ == CanaryPhase::kSucceeded || phase_ == CanaryPhase::kFailed; }
  const CanarySpec& spec() const { return spec_; }

 private:
  // Flagger names most events after the Canary and some after its target (scheduler.go).
  std::string Name() const { return spec_.name + "." + spec_.namespace_; }
  std::string Target() const { return spec_.target + "." + spec_.namespace_; }
  // Tick's phases, in the order Flagger's advanceCanary runs them.
  TickRecord Finish(TickRecord r) const;
  bool StepOutsideAnalysis(TickRecord* r);  // initialised/promoting/finalising/done
  bool RollBackIfFailed(TickRecord* r);
  bool RunChecks(const std::function<MetricReading(const CanaryMetric&)>& measure,
                 TickRecord* r);  // false when a check halted advancement
  // One metric's check: false (with its record and event) when it halts advancement.
  bool CheckMetric(const CanaryMetric& m, const MetricReading& v, TickRecord* r);
  std::string NoDataEvent(const CanaryMetric& m) const;
  std::string HaltEvent(const CanaryMetric& m, double value, bool high) const;
  void Advance(TickRecord* r);  // weight step, Blue/Green iteration or promotion
  void Promote(TickRecord* r);
  CanarySpec spec_;
  CanaryPhase phase_ = CanaryPhase::kInitialized;
  int canary_ = 0, primary_ = 100, failed_ = 0, iterations_ = 0, tick_ = -1;
  bool primary_updated_ = false, analysing_ = false;
};

}  // namespace meshproof::sim
