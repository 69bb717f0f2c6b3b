#include "meshproof/simulator/canary.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

#include "replication_pool.h"
#include <nlohmann/json.hpp>

#include "meshproof/engine/names.h"
#include "meshproof/engine/render.h"
#include "meshproof/simulator/control.h"

namespace meshproof::sim {
namespace {

using nlohmann::json;

const Workload* FindWorkload(const MeshModel& m, const std::string& ns, const std::string& name) {
  for (const Workload& w : m.workloads) {
    if (w.meta.namespace_ == ns && w.meta.name == name) return &w;
  }
  return nullptr;
}
bool HasService(const MeshModel& m, const std::string& ns, const std::string& name) {
  for (const Service& s : m.services) {
    if (s.meta.namespace_ == ns && s.meta.name == name) return true;
  }
  return false;
}
std::optional<std::size_t> WorkloadIndex(const MeshModel& m, const std::string& ns,
                                         const std::string& name) {
  for (std::size_t i = 0; i < m.workloads.size(); ++i) {
    if (m.workloads[i].meta.namespace_ == ns && m.workloads[i].meta.name == name) return i;
  }
  return std::nullopt;
}

std::string Labels(const Labels& l) {
  std::string out = "{";
  for (const auto& [k, v] : l)
    out += (out.size() > 1 ? ", " : "") + json(k).dump() + ": " + json(v).dump();
  return out + "}";
}

// The objects Flagger creates for a Canary (canary-and-metrics.md 1.4), as YAML.
std::string FlaggerObjects(const CanarySpec& c, const Workload& target,
                           const std::string& primary_sa, int split_version,
                           const MeshModel& model) {
  const std::string ns = c.namespace_;
  const std::string primary = c.target + "-primary";
  // Flagger relabels the primary's pods with <name>-primary under the target's selector key.
  std::string key = target.pod_labels.count("app") ? "app"
                    : target.pod_labels.empty()    ? "app"
                                                   : target.pod_labels.begin()->first;
  ::meshproof::Labels primary_labels = {{key, primary}};
  ::meshproof::Labels canary_selector =
      target.pod_labels.empty() ? ::meshproof::Labels{{key, c.target}} : target.pod_labels;
  std::ostringstream y;
  std::string ports = "[";
  for (const ContainerPort& p : target.ports) {
    ports += (ports.size() > 1 ? ", " : "") + std::string("{containerPort: ") +
             std::to_string(p.port) + (p.name.empty() ? "" : ", name: " + json(p.name).dump()) +
             "}";
  }
  ports += "]";
  if (FindWorkload(model, ns, primary) == nullptr) {
    y << "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " << primary
      << ", namespace: " << ns << "}\nspec:\n  replicas: " << target.replicas.value_or(1)
      << "\n  selector: {matchLabels: " << Labels(primary_labels)
      << "}\n  template:\n    metadata: {labels: " << Labels(primary_labels)
      << "}\n    spec:\n      serviceAccountName: " << json(primary_sa).dump()
      << "\n      containers: [{name: app, ports: " << ports << "}]\n";
  }
  const std::string target_port = c.target_port > 0             ? std::to_string(c.target_port)
                                  : !c.target_port_name.empty() ? json(c.target_port_name).dump()
                                                                : std::to_string(c.port);
  auto service = [&](const std::string& name, const ::meshproof::Labels& selector) {
    if (name != c.service && HasService(model, ns, name)) return;  // the apex is always Flagger's
    y << "---\napiVersion: v1\nkind: Service\nmetadata: {name: " << name << ", namespace: " << ns
      << "}\nspec:\n  selector: " << Labels(selector) << "\n  ports: [{name: http, port: " << c.port
      << ", targetPort: " << target_port << "}]\n";
  };
  service(c.service, primary_labels);
  service(c.service + "-primary", primary_labels);
  service(c.service + "-canary", canary_selector);
  bool has_split = false;
  for (const TrafficSplit& s : model.traffic_splits) {
    if (s.meta.namespace_ == ns && s.meta.name == c.service) has_split = true;
  }
  if (!has_split) {
    y << "---\napiVersion: split.smi-spec.io/v1alpha" << split_version
      << "\nkind: TrafficSplit\nmetadata: {name: " << c.service << ", namespace: " << ns
      << "}\nspec:\n  service: " << c.service << "\n  backends:\n  - {service: " << c.service
      << "-canary, weight: 0}\n  - {service: " << c.service << "-primary, weight: 100}\n";
  }
  return y.str();
}

// The canary's inbound responses, per second, for trailing-window queries.
class Window {
 public:
  Window(double longest, const std::vector<double>& buckets_ms)
      : slots_(static_cast<std::size_t>(std::ceil(longest)) + 2),
        bounds_(buckets_ms),
        width_(bounds_.size() + 3) {
    data_.assign(slots_ * width_, 0);
    stamp_.assign(slots_, -1);
  }
  void Add(double time, double latency, bool failed) {
    const auto second = static_cast<long long>(std::floor(time));
    const std::size_t slot = static_cast<std::size_t>(second) % slots_;
    std::uint64_t* row = &data_[slot * width_];
    if (stamp_[slot] != second) {
      std::fill(row, row + width_, 0);
      stamp_[slot] = second;
    }
    ++row[0];
    if (failed) ++row[1];
    const double ms = latency * 1000;
    const std::size_t b = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), ms) - bounds_.begin());
    ++row[2 + b];  // b == bounds_.size(): the +Inf bucket
  }
  // Sums over seconds [now - interval, now).
  void Sum(double now, double interval, std::uint64_t* total, std::uint64_t* failed,
           std::vector<std::uint64_t>* buckets) const {
    *total = *failed = 0;
    buckets->assign(bounds_.size() + 1, 0);
    const auto last = static_cast<long long>(std::floor(now)) - 1;
    const auto first = static_cast<long long>(std::floor(now - interval + 1e-9));
    for (long long s = std::max(first, last - static_cast<long long>(slots_) + 1); s <= last; ++s) {
      if (s < 0) continue;
      const std::size_t slot = static_cast<std::size_t>(s) % slots_;
      if (stamp_[slot] != s) continue;
      const std::uint64_t* row = &data_[slot * width_];
      *total += row[0];
      *failed += row[1];
      for (std::size_t b = 0; b <= bounds_.size(); ++b) (*buckets)[b] += row[2 + b];
    }
  }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::size_t slots_;
  std::vector<double> bounds_;
  std::size_t width_;
  std::vector<std::uint64_t> data_;
  std::vector<long long> stamp_;
};

}  // namespace

double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<std::uint64_t>& counts) {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0) return std::nan("");
  const double rank = q * static_cast<double>(total);
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::uint64_t before = cum;
    cum += counts[i];
    if (static_cast<double>(cum) >= rank) {
      if (i == bounds.size()) return bounds.empty() ? std::nan("") : bounds.back();
      const double lo = i == 0 ? 0.0 : bounds[i - 1];
      const double hi = bounds[i];
      if (counts[i] == 0) return hi;
      return lo + (hi - lo) * (rank - static_cast<double>(before)) / static_cast<double>(counts[i]);
    }
  }
  return bounds.back();
}

namespace {

class CanaryController final : public Controller {
 public:
  CanaryController(const PreparedCanary& p, std::uint64_t seed)
      : p_(p),
        sm_(p.spec),
        rng_(SplitMix64(seed ^ 0x666c616767657221ULL)),
        window_(LongestInterval(p), p.buckets_ms) {}

  static double LongestInterval(const PreparedCanary& p) {
    double longest = 60;
    for (const CanaryMetric& m : p.spec.metrics) longest = std::max(longest, m.interval);
    return longest;
  }

  void OnStart(ReplicationControl& control) override {
    const auto& settings = *p_.scenario.canary;
    next_tick_ = settings.random_detection ? rng_.Uniform01() * p_.spec.interval : 0.0;
    control.ScheduleTick(next_tick_);
    for (const BehaviourChange& c : settings.canary_changes) control.ScheduleTick(c.at);
    canary_service_ = CanaryServiceTime();
    canary_error_ = CanaryErrorRate();
  }

  void OnTick(ReplicationControl& control) override {
    const double now = control.now();
    // Behaviour changes due now.
    const auto& changes = p_.scenario.canary->canary_changes;
    while (applied_ < changes.size() && changes[applied_].at <= now + 1e-9) {
      if (changes[applied_].error_rate) canary_error_ = *changes[applied_].error_rate;
      if (changes[applied_].service_time) canary_service_ = *changes[applied_].service_time;
      control.SetNodeBehaviour(p_.canary_node, canary_service_, canary_error_);
      if (sm_.primary_updated())
        control.SetNodeBehaviour(p_.primary_node, canary_service_, canary_error_);
      ++applied_;
    }
    if (decided_ || now + 1e-9 < next_tick_) return;
    const bool was_updated = sm_.primary_updated();
    TickRecord rec = sm_.Tick(now, [&](const CanaryMetric& m) { return Measure(m, now); });
    std::vector<double> weights(std::max(p_.canary_backend, p_.primary_backend) + 1, 0.0);
    weights[p_.canary_backend] = sm_.canary_weight();
    weights[p_.primary_backend] = sm_.primary_weight();
    control.SetSplitWeights(p_.split, weights);
    if (!was_updated && sm_.primary_updated()) {
      // Promote: the primary rolls out the canary's spec (its identity stays the old one).
      control.SetNodeBehaviour(p_.primary_node, canary_service_, canary_error_);
    }
    if (p_.load_tester_source) {
      // Rollout webhooks run from the first analysis tick on, until the decision.
      if (sm_.analysing() && first_step_tick_ < 0) first_step_tick_ = rec.tick;
      control.SetSourceActive(*p_.load_tester_source,
                              sm_.analysing() && rec.tick > first_step_tick_);
    }
    run_.timeline.push_back(std::move(rec));
    if (sm_.done()) {
      decided_ = true;
      run_.outcome = sm_.phase() == CanaryPhase::kSucceeded ? CanaryRun::Outcome::kPromoted
                                                            : CanaryRun::Outcome::kRolledBack;
      run_.decision_time = now;
      control.Stop();
      return;
    }
    next_tick_ = now + p_.spec.interval;
    control.ScheduleTick(next_tick_);
  }

  void OnServerResponse(std::size_t, double time, double latency, int status) override {
    window_.Add(time, latency, status >= 500 || status == 403);
  }

  void OnSourceRequestDone(std::size_t source, double, int status) override {
    if (decided_) return;
    const bool failed = status >= 400;
    if (p_.load_tester_source && source == *p_.load_tester_source) {
      ++run_.load_requests;
      if (failed) ++run_.failed_load_requests;
    } else {
      ++run_.user_requests;
      if (failed) ++run_.failed_user_requests;
    }
  }

  CanaryRun Finish(double horizon) {
    if (!decided_) run_.decision_time = horizon;
    return std::move(run_);
  }

 private:
  Distribution CanaryServiceTime() const {
    const auto& b = p_.scenario.canary->canary;
    if (b.service_time) return *b.service_time;
    return p_.scenario.defaults.service_time.value_or(Distribution::Exponential(0.010));
  }
  double CanaryErrorRate() const {
    const auto& b = p_.scenario.canary->canary;
    return b.error_rate.value_or(p_.scenario.defaults.error_rate.value_or(0.0));
  }

  MetricReading Measure(const CanaryMetric& m, double now) const {
    std::uint64_t total = 0, failed = 0;
    std::vector<std::uint64_t> buckets;
    window_.Sum(now, m.interval, &total, &failed, &buckets);
    MetricReading r;
    if (total == 0) return r;  // 0/0: NaN, "no values found"
    const double n = static_cast<double>(total);
    switch (m.query) {
      case MetricQuery::kSuccessRatePercent:
        r.value = 100.0 * (n - static_cast<double>(failed)) / n;
        break;
      case MetricQuery::kSuccessRatio:
        r.value = (n - static_cast<double>(failed)) / n;
        break;
      case MetricQuery::kErrorRatePercent:
        r.value = 100.0 * static_cast<double>(failed) / n;
        break;
      case MetricQuery::kErrorRatio:
        r.value = static_cast<double>(failed) / n;
        break;
      case MetricQuery::kRequestRate:
        r.value = n / m.interval;
        break;
      case MetricQuery::kLatencyQuantile: {
        const double ms = HistogramQuantile(m.quantile, window_.bounds(), buckets);
        if (std::isnan(ms)) return r;
        r.value = ms / (m.latency_unit * 1000);
        break;
      }
    }
    r.has_value = true;
    return r;
  }

  const PreparedCanary& p_;
  FlaggerStateMachine sm_;
  Rng rng_;
  Window window_;
  Distribution canary_service_;
  double canary_error_ = 0;
  std::size_t applied_ = 0;
  double next_tick_ = 0;
  int first_step_tick_ = -1;
  bool decided_ = false;
  CanaryRun run_;
};

Proportion Wilson(double k, double n) {
  Proportion p;
  if (n <= 0) return p;
  const double z = 1.959963984540054;
  p.p = k / n;
  const double denom = 1 + z * z / n;
  const double centre = (p.p + z * z / (2 * n)) / denom;
  const double half = z * std::sqrt(p.p * (1 - p.p) / n + z * z / (4 * n * n)) / denom;
  p.low = std::max(0.0, centre - half);
  p.high = std::min(1.0, centre + half);
  return p;
}

Spread SpreadOf(std::vector<double> xs) {
  Spread s;
  s.n = xs.size();
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / static_cast<double>(xs.size());
  auto rank = [&](double q) {
    const auto i =
        static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(xs.size())))) - 1;
    return xs[std::min(i, xs.size() - 1)];
  };
  s.min = xs.front();
  s.max = xs.back();
  s.p10 = rank(0.10);
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p95 = rank(0.95);
  return s;
}

}  // namespace

const char* OutcomeName(CanaryRun::Outcome o) {
  switch (o) {
    case CanaryRun::Outcome::kPromoted:
      return "promoted";
    case CanaryRun::Outcome::kRolledBack:
      return "rolled-back";
    case CanaryRun::Outcome::kProgressing:
      return "progressing";
  }
  return "?";
}

namespace {

// The Canary the scenario names (or the only one); nullptr after reporting MP6002, or when
// the chosen Canary has errors of its own (already in p->diagnostics).
const CanarySpec* ChooseCanary(const std::vector<CanarySpec>& specs, const CanarySettings& settings,
                               const PreparedCanary& p, LoadedScenario* loaded) {
  const CanarySpec* chosen = nullptr;
  std::string have;
  for (const CanarySpec& c : specs) {
    if (settings.name.empty() ? specs.size() == 1 : c.namespace_ + "/" + c.name == settings.name) {
      chosen = &c;
    }
    have += (have.empty() ? "" : ", ") + c.namespace_ + "/" + c.name;
  }
  if (chosen == nullptr) {
    loaded->diagnostics.Report(DiagCode::MP6002, settings.loc,
                               settings.name.empty()
                                   ? "the manifests hold " + std::to_string(specs.size()) +
                                         " Canaries (" + have + "): name one with `canary.name`"
                                   : "no Canary " + settings.name + " in the manifests" +
                                         (have.empty() ? "" : " (found: " + have + ")"));
    return nullptr;
  }
  for (const Diagnostic& d : p.diagnostics.items()) {
    if (d.severity == Severity::kError && d.resource && d.resource->name == chosen->name &&
        d.resource->namespace_ == chosen->namespace_) {
      return nullptr;
    }
  }
  return chosen;
}

// Adds Flagger's primary/canary objects and TrafficSplit to the mesh. The manifests are
// re-read from the texts already loaded, never from disk again: what was verified is
// what is simulated, even if the files change meanwhile.
void AddFlaggerObjects(const CanarySpec& spec, const Workload& target,
                       const CanarySettings& settings, ProfileId profile, LoadedScenario* loaded) {
  // The TrafficSplit version the profile serves (v1alpha2 where possible, as Flagger's osm
  // and smi:v1alpha2 routers write).
  const auto& served = GetProfile(profile).served.traffic_split;
  int version = 2;
  if (std::find(served.begin(), served.end(), 2) == served.end() && !served.empty()) {
    version = served.back();
  }
  const std::string primary_sa = settings.primary_service_account.empty()
                                     ? target.service_account
                                     : settings.primary_service_account;
  std::vector<std::pair<std::string, std::string>> texts;
  const SourceSet& sources = loaded->mesh.sources;
  for (FileId f = 0; f < sources.size(); ++f) texts.emplace_back(sources.name(f), sources.text(f));
  texts.emplace_back("<flagger>",
                     FlaggerObjects(spec, target, primary_sa, version, loaded->mesh.model));
  LoadOptions lo;
  lo.default_namespace = loaded->scenario.default_namespace;
  loaded->mesh = LoadTexts(texts, lo);
  // Flagger owns the apex Service: overriding a user's one is intended, not a duplicate.
  auto& items = loaded->mesh.diagnostics.mutable_items();
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const Diagnostic& d) {
                               return d.code == DiagCode::MP0005 && d.resource &&
                                      d.resource->name == spec.service &&
                                      d.resource->namespace_ == spec.namespace_;
                             }),
              items.end());
}

// The behaviour of one of Flagger's workloads; canary settings win over a plain entry.
void DescribeWorkload(const std::string& workload, const Behaviour& b, const Loc& loc,
                      Scenario* scenario) {
  for (WorkloadSpec& existing : scenario->workloads) {
    if (existing.workload != workload) continue;
    Behaviour merged = existing.behaviour;
    if (b.replicas) merged.replicas = b.replicas;
    if (b.concurrency) merged.concurrency = b.concurrency;
    if (b.queue_capacity) merged.queue_capacity = b.queue_capacity;
    if (b.discipline) merged.discipline = b.discipline;
    if (b.service_time) merged.service_time = b.service_time;
    if (b.error_rate) merged.error_rate = b.error_rate;
    existing.behaviour = merged;
    return;
  }
  WorkloadSpec w;
  w.workload = workload;
  w.loc = loc;
  w.behaviour = b;
  scenario->workloads.push_back(std::move(w));
}

// The load tester: traffic straight to <service>-canary from its own identity.
void AddLoadTester(const CanarySettings& settings, PreparedCanary* pp) {
  PreparedCanary& p = *pp;
  p.load_test_rate = settings.load_tester_rate.value_or(p.spec.load_test_rate.value_or(0));
  if (!settings.load_tester || p.load_test_rate <= 0) {
    p.load_test_rate = 0;
    return;
  }
  const std::string from = settings.load_tester_from.empty()
                               ? p.spec.namespace_ + "/flagger-loadtester"
                               : settings.load_tester_from;
  const auto id = NamespacedName::Parse(from, p.spec.namespace_);
  if (!id || p.graph->FindIdentity(id->namespace_, id->name) == kNoId) {
    p.diagnostics.Report(DiagCode::MP7003, p.spec.loc,
                         "load tester traffic (" + std::to_string(p.load_test_rate) +
                             " req/s) not simulated: identity " + from +
                             " is not in the mesh (set canary.loadTester.from)",
                         ObjectRef{"Canary", p.spec.namespace_, p.spec.name});
    p.load_test_rate = 0;
    return;
  }
  TrafficSource s;
  s.name = "flagger-loadtester";
  s.from = id->str();
  s.to = p.spec.namespace_ + "/" + p.spec.service + "-canary";
  s.port = p.spec.port;
  s.schedule = {{0, p.load_test_rate}};
  s.mix = {RequestShape{}};
  s.loc = settings.loc;
  p.load_tester_source = p.scenario.sources.size();
  p.scenario.sources.push_back(std::move(s));
}

// Flagger's TrafficSplit and the primary/canary workloads in the compiled model; false
// when one is missing.
bool FindFlaggerNodes(const MeshModel& model, PreparedCanary* pp) {
  PreparedCanary& p = *pp;
  bool found_split = false;
  for (std::size_t i = 0; i < model.traffic_splits.size(); ++i) {
    const TrafficSplit& ts = model.traffic_splits[i];
    if (ts.meta.namespace_ != p.spec.namespace_ || ts.meta.name != p.spec.service) continue;
    found_split = true;
    p.split = i;
    for (std::size_t b = 0; b < ts.backends.size(); ++b) {
      if (ts.backends[b].service == p.spec.service + "-canary") p.canary_backend = b;
      if (ts.backends[b].service == p.spec.service + "-primary") p.primary_backend = b;
    }
  }
  const auto canary_node = WorkloadIndex(model, p.spec.namespace_, p.spec.target);
  const auto primary_node = WorkloadIndex(model, p.spec.namespace_, p.spec.target + "-primary");
  if (!found_split || !canary_node || !primary_node) return false;
  p.canary_node = *canary_node;
  p.primary_node = *primary_node;
  return true;
}

// Enough time for every step, the failure threshold and the promotion, with slack.
double DefaultHorizon(const CanarySpec& spec) {
  const int promotion_ticks =
      spec.step_weight_promotion > 0
          ? (100 + spec.step_weight_promotion - 1) / spec.step_weight_promotion
          : 1;
  return spec.interval * (spec.Steps() + spec.threshold + promotion_ticks + 6);
}

}  // namespace

std::unique_ptr<PreparedCanary> PrepareCanary(LoadedScenario* loaded,
                                              const std::string& profile_override) {
  auto out = std::make_unique<PreparedCanary>();
  PreparedCanary& p = *out;
  p.profile = profile_override.empty() ? loaded->scenario.profile : profile_override;
  if (loaded->HasErrors()) return out;
  if (!loaded->scenario.canary) {
    loaded->diagnostics.Report(
        DiagCode::MP6001, Loc{0, 1, 1, "spec.canary"},
        "this scenario has no `spec.canary`: nothing to predict (see docs/canary.md)");
    return out;
  }
  const CanarySettings& settings = *loaded->scenario.canary;
  const auto profile_id = ParseProfileName(p.profile);
  if (!profile_id) {
    loaded->diagnostics.Report(DiagCode::MP6001, settings.loc,
                               "unknown profile '" + p.profile + "'");
    return out;
  }
  const std::vector<CanarySpec> specs = ParseCanaries(
      loaded->mesh.sources, settings.provider, loaded->scenario.default_namespace, &p.diagnostics);
  const CanarySpec* chosen = ChooseCanary(specs, settings, p, loaded);
  if (chosen == nullptr) return out;
  p.spec = *chosen;
  const Workload* target = FindWorkload(loaded->mesh.model, p.spec.namespace_, p.spec.target);
  if (target == nullptr) {
    loaded->diagnostics.Report(DiagCode::MP6002, settings.loc,
                               "Canary " + p.spec.namespace_ + "/" + p.spec.name +
                                   " targets Deployment " + p.spec.namespace_ + "/" +
                                   p.spec.target + ", which is not in the manifests");
    return out;
  }
  AddFlaggerObjects(p.spec, *target, settings, *profile_id, loaded);
  const MeshModel& model = loaded->mesh.model;
  p.scenario = loaded->scenario;
  DescribeWorkload(p.spec.namespace_ + "/" + p.spec.target + "-primary", settings.primary,
                   settings.loc, &p.scenario);
  DescribeWorkload(p.spec.namespace_ + "/" + p.spec.target, settings.canary, settings.loc,
                   &p.scenario);
  p.graph = std::make_unique<RouteGraph>(CompileGraph(model, GetProfile(*profile_id)));
  AddLoadTester(settings, &p);
  if (!FindFlaggerNodes(model, &p)) {
    loaded->diagnostics.Report(
        DiagCode::MP6002, settings.loc,
        "could not set up Flagger's objects for " + p.spec.namespace_ + "/" + p.spec.name);
    return out;
  }
  p.buckets_ms = settings.bucket_layout == "custom" ? settings.buckets_ms
                                                    : LatencyBucketsMs(settings.bucket_layout);
  p.horizon = settings.horizon.value_or(DefaultHorizon(p.spec));
  ControlOptions control;
  control.dynamic_splits = {p.split};
  if (p.load_tester_source) control.gated_sources = {*p.load_tester_source};
  control.watched_nodes = {p.canary_node};
  p.simulator = Simulator::Create(p.scenario, *p.graph, &loaded->diagnostics, control);
  return out;
}

CanaryPrediction PredictCanary(const PreparedCanary& p, const SimulationOptions& options) {
  CanaryPrediction out;
  out.spec = p.spec;
  out.profile = p.profile;
  out.seed = options.seed.value_or(p.scenario.seed);
  out.replications = std::max(1, options.replications.value_or(p.scenario.replications));
  out.horizon = options.duration.value_or(p.horizon);
  out.load_test_rate = p.load_test_rate;
  out.runs.resize(static_cast<std::size_t>(out.replications));
  RunReplications(
      out.replications, options.jobs,
      [&](int r) {
        const std::uint64_t seed = ReplicationSeed(out.seed, r);
        CanaryController controller(p, seed);
        p.simulator->RunReplication(seed, out.horizon, nullptr, &controller);
        out.runs[static_cast<std::size_t>(r)] = controller.Finish(out.horizon);
      },
      options.progress);

  double promoted = 0, rolled = 0, progressing = 0;
  std::vector<double> decision, failed_user, failed_load, users;
  for (const CanaryRun& r : out.runs) {
    if (r.outcome == CanaryRun::Outcome::kPromoted) ++promoted;
    if (r.outcome == CanaryRun::Outcome::kRolledBack) ++rolled;
    if (r.outcome == CanaryRun::Outcome::kProgressing) ++progressing;
    if (r.outcome != CanaryRun::Outcome::kProgressing) decision.push_back(r.decision_time);
    failed_user.push_back(r.failed_user_requests);
    failed_load.push_back(r.failed_load_requests);
    users.push_back(r.user_requests);
  }
  const double n = out.replications;
  out.promoted = Wilson(promoted, n);
  out.rolled_back = Wilson(rolled, n);
  out.progressing = Wilson(progressing, n);
  out.decision_time = SpreadOf(decision);
  out.failed_user_requests = SpreadOf(failed_user);
  out.failed_load_requests = SpreadOf(failed_load);
  out.user_requests = SpreadOf(users);
  // The typical run: the most likely outcome, decided closest to that outcome's median.
  CanaryRun::Outcome mode = CanaryRun::Outcome::kPromoted;
  if (rolled > promoted && rolled >= progressing) mode = CanaryRun::Outcome::kRolledBack;
  if (progressing > promoted && progressing > rolled) mode = CanaryRun::Outcome::kProgressing;
  std::vector<double> times;
  for (const CanaryRun& r : out.runs) {
    if (r.outcome == mode) times.push_back(r.decision_time);
  }
  const double median = SpreadOf(times).p50;
  double best = 1e300;
  for (std::size_t i = 0; i < out.runs.size(); ++i) {
    if (out.runs[i].outcome != mode) continue;
    const double d = std::fabs(out.runs[i].decision_time - median);
    if (d < best) {
      best = d;
      out.typical = i;
    }
  }
  return out;
}

namespace {

json ProportionJson(const Proportion& p) { return {{"p", p.p}, {"ci95", {p.low, p.high}}}; }
json SpreadJson(const Spread& s) {
  return {{"n", s.n},     {"mean", s.mean}, {"min", s.min}, {"p10", s.p10},
          {"p50", s.p50}, {"p90", s.p90},   {"p95", s.p95}, {"max", s.max}};
}
std::string Clock(double s) {
  char buf[32];
  const auto total = static_cast<long long>(std::llround(s));
  std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
  return buf;
}
std::string Pct(const Proportion& p) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%6.1f%%  [%5.1f%%, %5.1f%%]", p.p * 100, p.low * 100,
                p.high * 100);
  return buf;
}

}  // namespace

json CanaryToJson(const CanaryPrediction& p, const RenderContext& ctx) {
  json out = RunEnvelope(ctx, p.seed, p.replications);
  out["horizonSeconds"] = p.horizon;
  const CanarySpec& c = p.spec;
  json metrics = json::array();
  for (const CanaryMetric& m : c.metrics) {
    json x = {{"name", m.name}, {"intervalSeconds", m.interval}};
    if (m.min) x["min"] = *m.min;
    if (m.max) x["max"] = *m.max;
    if (!m.template_name.empty()) x["templateRef"] = m.template_name;
    metrics.push_back(x);
  }
  out["canary"] = {{"namespace", c.namespace_},
                   {"name", c.name},
                   {"provider", c.provider},
                   {"target", c.target},
                   {"service", c.service},
                   {"intervalSeconds", c.interval},
                   {"threshold", c.threshold},
                   {"maxWeight", c.max_weight},
                   {"stepWeight", c.step_weight},
                   {"stepWeights", c.step_weights},
                   {"stepWeightPromotion", c.step_weight_promotion},
                   {"iterations", c.iterations},
                   {"metrics", metrics},
                   {"loadTesterRate", p.load_test_rate}};
  out["outcome"] = {{"promoted", ProportionJson(p.promoted)},
                    {"rolledBack", ProportionJson(p.rolled_back)},
                    {"progressing", ProportionJson(p.progressing)}};
  out["timeToDecisionSeconds"] = SpreadJson(p.decision_time);
  out["userRequests"] = SpreadJson(p.user_requests);
  out["failedUserRequests"] = SpreadJson(p.failed_user_requests);
  out["failedLoadTestRequests"] = SpreadJson(p.failed_load_requests);
  const CanaryRun& t = p.runs[p.typical];
  json timeline = json::array();
  json events = json::array();
  for (const TickRecord& r : t.timeline) {
    json checks = json::array();
    for (const CheckRecord& ch : r.checks) {
      checks.push_back({{"name", ch.name},
                        {"value", ch.value ? json(*ch.value) : json(nullptr)},
                        {"verdict", ch.verdict}});
    }
    timeline.push_back({{"tick", r.tick},
                        {"timeSeconds", r.time},
                        {"phase", CanaryPhaseName(r.phase)},
                        {"canaryWeight", r.canary_weight},
                        {"failedChecks", r.failed_checks},
                        {"checks", checks},
                        {"events", r.events}});
    for (const std::string& e : r.events) events.push_back(e);
  }
  out["typicalRun"] = {{"replication", p.typical},
                       {"outcome", OutcomeName(t.outcome)},
                       {"decisionSeconds", t.decision_time},
                       {"failedUserRequests", t.failed_user_requests},
                       {"timeline", timeline},
                       {"events", events}};
  return out;
}

std::string CanaryToText(const CanaryPrediction& p, const RenderContext& ctx) {
  std::ostringstream os;
  const CanarySpec& c = p.spec;
  os << "canary " << c.namespace_ << "/" << c.name << " (provider " << c.provider << ", interval "
     << c.interval << "s, threshold " << c.threshold << ", maxWeight " << c.max_weight;
  if (c.step_weight > 0) os << ", stepWeight " << c.step_weight;
  if (!c.step_weights.empty()) os << ", " << c.step_weights.size() << " stepWeights";
  if (c.iterations > 0) os << ", iterations " << c.iterations;
  os << "): " << p.replications << " replications, seed " << p.seed << ", profile " << p.profile
     << ", scenario " << ctx.scenario_name << "\n\n";
  os << "  promoted     " << Pct(p.promoted) << "\n";
  os << "  rolled back  " << Pct(p.rolled_back) << "\n";
  os << "  progressing  " << Pct(p.progressing) << "   (still undecided at the " << Clock(p.horizon)
     << " horizon)\n\n";
  char buf[256];
  if (p.decision_time.n > 0) {
    std::snprintf(buf, sizeof buf, "time to decision: median %s, p10 %s, p90 %s (min %s, max %s)\n",
                  Clock(p.decision_time.p50).c_str(), Clock(p.decision_time.p10).c_str(),
                  Clock(p.decision_time.p90).c_str(), Clock(p.decision_time.min).c_str(),
                  Clock(p.decision_time.max).c_str());
    os << buf;
  }
  std::snprintf(buf, sizeof buf,
                "failed user requests: mean %.1f, p95 %.0f (of %.0f user requests on average)\n",
                p.failed_user_requests.mean, p.failed_user_requests.p95, p.user_requests.mean);
  os << buf;
  if (p.load_test_rate > 0) {
    std::snprintf(buf, sizeof buf,
                  "failed load-test requests: mean %.1f, p95 %.0f (load tester %.0f req/s)\n",
                  p.failed_load_requests.mean, p.failed_load_requests.p95, p.load_test_rate);
    os << buf;
  }
  const CanaryRun& t = p.runs[p.typical];
  os << "\ntypical run (replication " << p.typical << ", " << OutcomeName(t.outcome) << " at "
     << Clock(t.decision_time) << ", " << t.failed_user_requests << " failed user requests):\n";
  std::snprintf(buf, sizeof buf, "%5s %7s  %-12s %6s %6s  %s\n", "TICK", "TIME", "PHASE", "WEIGHT",
                "FAILED", "CHECKS");
  os << buf;
  for (const TickRecord& r : t.timeline) {
    std::string checks;
    for (const CheckRecord& ch : r.checks) {
      char v[64];
      if (ch.value) std::snprintf(v, sizeof v, "%.2f", *ch.value);
      checks += (checks.empty() ? "" : ", ") + ch.name + " " +
                (ch.value ? std::string(v) + " " : "") + ch.verdict;
    }
    std::snprintf(buf, sizeof buf, "%5d %7s  %-12s %6d %6d  %s\n", r.tick, Clock(r.time).c_str(),
                  CanaryPhaseName(r.phase), r.canary_weight, r.failed_checks,
                  checks.empty() ? "-" : checks.c_str());
    os << buf;
  }
  os << "\nevents:\n";
  for (const TickRecord& r : t.timeline) {
    for (const std::string& e : r.events) os << "  " << e << "\n";
  }
  return os.str();
}

}  // namespace meshproof::sim
