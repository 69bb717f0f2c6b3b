// canary_render.cc: a canary prediction as JSON and as text.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "meshproof/engine/numeric.h"
#include "meshproof/engine/render.h"
#include "meshproof/simulator/canary.h"

namespace meshproof::sim {
namespace {

using nlohmann::json;

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
    // What the query sees of a policy denial, and which codes it counts as failures.
    x["deniedRequests"] =
        m.denials == DenialVisibility::kRecorded ? "recorded as 403" : "not recorded";
    json codes = json::array();
    if (m.fails_5xx) codes.push_back("5xx");
    if (m.fails_403) codes.push_back("403");
    x["failureCodes"] = codes;
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
  if (p.after_promotion.runs > 0) {
    out["afterPromotion"] = {
        {"runs", p.after_promotion.runs},
        {"deniedShare", RoundShare(p.after_promotion.denied_share)},
        {"deniedUserRequests", SpreadJson(p.after_promotion.denied_user_requests)}};
  } else {
    out["afterPromotion"] = nullptr;
  }
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
  os << "): " << p.replications << " replications, seed " << p.seed << ", profile "
     << ProfileLabel(p.profile, ctx.permissive) << ", scenario " << ctx.scenario_name << "\n\n";
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
  if (p.after_promotion.runs > 0 && p.after_promotion.denied_share > 0) {
    std::snprintf(buf, sizeof buf,
                  "after promotion: %.1f%% of user requests denied by access policy (mean %.1f "
                  "per run to the horizon, over %zu promoted runs): the primary now runs as the "
                  "canary's identity\n",
                  p.after_promotion.denied_share * 100, p.after_promotion.denied_user_requests.mean,
                  p.after_promotion.runs);
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
