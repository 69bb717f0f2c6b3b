// canary_controller.h (private to simulator/): Flagger's controller inside one replication.
// It ticks the state machine (flagger.h) every analysis interval, sets the TrafficSplit
// weights, gates the load tester, applies the new revision's behaviour changes and reads
// the canary's inbound traffic through a trailing metric window.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "metric_window.h"

#include "meshproof/engine/numeric.h"
#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/control.h"
#include "meshproof/simulator/random.h"

namespace meshproof::sim {

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
    while (applied_ < changes.size() && changes[applied_].at <= now + kTimeTolerance) {
      if (changes[applied_].error_rate) canary_error_ = *changes[applied_].error_rate;
      if (changes[applied_].service_time) canary_service_ = *changes[applied_].service_time;
      control.SetNodeBehaviour(p_.canary_node, canary_service_, canary_error_);
      if (sm_.primary_updated())
        control.SetNodeBehaviour(p_.primary_node, canary_service_, canary_error_);
      ++applied_;
    }
    if (decided_ || now + kTimeTolerance < next_tick_) return;
    const bool was_updated = sm_.primary_updated();
    TickRecord rec = sm_.Tick(now, [&](const CanaryMetric& m) { return Measure(m, now); });
    std::vector<double> weights(std::max(p_.canary_backend, p_.primary_backend) + 1, 0.0);
    weights[p_.canary_backend] = sm_.canary_weight();
    weights[p_.primary_backend] = sm_.primary_weight();
    control.SetSplitWeights(p_.split, weights);
    if (!was_updated && sm_.primary_updated()) {
      // Promote: the primary rolls out the canary's pod template, behaviour and
      // ServiceAccount: from now on access policy is decided for the canary's identity.
      control.SetNodeBehaviour(p_.primary_node, canary_service_, canary_error_);
      control.AdoptIdentity(p_.primary_node);
      run_.promotion_time = now;
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
      // A promoted run goes on to the horizon: what the promoted primary does to user
      // traffic afterwards is part of the prediction (afterPromotion).
      if (run_.outcome != CanaryRun::Outcome::kPromoted) control.Stop();
      return;
    }
    next_tick_ = now + p_.spec.interval;
    control.ScheduleTick(next_tick_);
  }

  void OnServerResponse(std::size_t, double time, double latency, int status) override {
    window_.Add(time, latency, status);
  }

  void OnSourceRequestDone(std::size_t source, double, int status) override {
    const bool load = p_.load_tester_source && source == *p_.load_tester_source;
    if (run_.promotion_time && !load) {
      ++run_.after_promotion_requests;
      if (status == 403) ++run_.after_promotion_denied;
    }
    if (decided_) return;
    const bool failed = status >= 400;
    if (load) {
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
    window_.Sum(now, m.interval,
                Window::View{m.denials == DenialVisibility::kRecorded, m.fails_5xx, m.fails_403},
                &total, &failed, &buckets);
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

}  // namespace meshproof::sim
