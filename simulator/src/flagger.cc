#include "meshproof/simulator/flagger.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "meshproof/engine/yaml_tree.h"

namespace meshproof::sim {
namespace {

using yaml::Node;

const Node* At(const Node* n, std::initializer_list<const char*> path) {
  for (const char* k : path) {
    if (n == nullptr || !n->IsMap()) return nullptr;
    n = n->Get(k);
  }
  return n;
}
std::string Str(const Node* n, const std::string& fallback = "") {
  return n != nullptr && n->IsScalar() ? n->value : fallback;
}
std::optional<double> Num(const Node* n) {
  if (n == nullptr || !n->IsScalar()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(n->value.c_str(), &end);
  if (end == n->value.c_str() || *end != '\0') return std::nullopt;
  return v;
}
Loc LocOf(FileId file, const Node* n, const std::string& path) {
  return Loc{file, n != nullptr ? n->line : 0, n != nullptr ? n->column : 0, path};
}

std::string Squash(const std::string& q) {
  std::string out;
  for (char c : q) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Recognises the PromQL shapes the simulator can answer (canary-and-metrics.md 1.3); the
// template's label filters are taken to select the canary's inbound traffic.
std::optional<std::string> ClassifyQuery(const std::string& query, CanaryMetric* m) {
  const std::string q = Squash(query);
  const auto hq = q.find("histogram_quantile(");
  if (hq != std::string::npos) {
    const std::size_t start = hq + std::string("histogram_quantile(").size();
    m->quantile = std::strtod(q.c_str() + start, nullptr);
    if (!(m->quantile > 0 && m->quantile <= 1))
      return "histogram_quantile needs a quantile in (0, 1]";
    m->query = MetricQuery::kLatencyQuantile;
    if (q.find("_seconds_bucket") != std::string::npos) {
      m->latency_unit = 1;
    } else if (q.find("_ms_bucket") != std::string::npos ||
               q.find("milliseconds_bucket") != std::string::npos) {
      m->latency_unit = 1e-3;
    } else {
      return "histogram_quantile over a histogram whose unit is neither _ms nor _seconds";
    }
    return std::nullopt;
  }
  const bool ratio = q.find('/') != std::string::npos && q.find("rate(") != std::string::npos;
  const bool percent = q.find("*100") != std::string::npos;
  const bool success = q.find("classification!=\"failure\"") != std::string::npos ||
                       q.find("response_code!~\"5.*\"") != std::string::npos ||
                       q.find("response_code!~\"5..\"") != std::string::npos;
  const bool failure = q.find("classification=\"failure\"") != std::string::npos ||
                       q.find("response_code=~\"5.*\"") != std::string::npos ||
                       q.find("response_code=~\"5..\"") != std::string::npos;
  if (ratio && success) {
    m->query = percent ? MetricQuery::kSuccessRatePercent : MetricQuery::kSuccessRatio;
    return std::nullopt;
  }
  if (ratio && failure) {
    m->query = percent ? MetricQuery::kErrorRatePercent : MetricQuery::kErrorRatio;
    return std::nullopt;
  }
  if (!ratio && (q.rfind("sum(rate(", 0) == 0 || q.rfind("sum(irate(", 0) == 0) && !success &&
      !failure) {
    m->query = MetricQuery::kRequestRate;
    return std::nullopt;
  }
  return "only success/error ratios (classification or 5xx response_code), histogram_quantile of a "
         "latency histogram and request rates can be simulated";
}

struct Template {
  std::string query;
  Loc loc;
};

// `hey ... -q Q -c C ...`: Q requests/s per worker, C workers (defaults 0 = unlimited, 50).
std::optional<double> HeyRate(const std::string& cmd) {
  if (cmd.find("hey") == std::string::npos) return std::nullopt;
  auto flag = [&](const char* f) -> std::optional<double> {
    const std::string needle = std::string(" ") + f + " ";
    const auto at = cmd.find(needle);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(cmd.c_str() + at + needle.size(), nullptr);
  };
  const auto q = flag("-q");
  if (!q || *q <= 0) return std::nullopt;  // unlimited rate: not a meaningful load figure
  return *q * flag("-c").value_or(50);
}

bool SmiProvider(const std::string& p) {
  return p == "linkerd" || p == "osm" || p.rfind("smi:", 0) == 0;
}

}  // namespace

std::optional<double> ParseGoDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  double total = 0;
  while (i < text.size()) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str() + i, &end);
    const auto used = static_cast<std::size_t>(end - (text.c_str() + i));
    if (used == 0) return std::nullopt;
    i += used;
    std::size_t u = i;
    while (u < text.size() && std::isalpha(static_cast<unsigned char>(text[u]))) ++u;
    const std::string unit = text.substr(i, u - i);
    i = u;
    static const std::map<std::string, double> kUnits = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},
                                                         {"s", 1},     {"m", 60},    {"h", 3600}};
    auto it = kUnits.find(unit);
    if (it == kUnits.end()) return std::nullopt;
    total += v * it->second;
  }
  return total;
}

int CanarySpec::Steps() const {
  if (iterations > 0) return iterations;
  int w = 0, n = 0;
  while (w < max_weight && n < 1000) {
    const int s = NextStep(w);
    if (s <= 0) return 0;
    w = std::min(100, w + s);
    ++n;
  }
  return n;
}

int CanarySpec::NextStep(int canary_weight) const {
  if (step_weight > 0) return step_weight;
  if (step_weights.empty()) return 0;
  if (canary_weight == 0) return std::min(100, step_weights[0]);
  for (std::size_t i = 0; i + 1 < step_weights.size(); ++i) {
    if (step_weights[i] == canary_weight)
      return std::min(100 - canary_weight, step_weights[i + 1] - canary_weight);
  }
  return 0;
}

std::vector<CanarySpec> ParseCanaries(const SourceSet& sources, const std::string& default_provider,
                                      const std::string& default_namespace, Diagnostics* diags) {
  std::vector<CanarySpec> out;
  std::map<std::string, Template> templates;  // ns/name
  std::vector<yaml::ParsedFile> parsed(sources.size());
  std::vector<std::pair<FileId, const Node*>> canaries;
  for (FileId f = 0; f < sources.size(); ++f) {
    Diagnostics ignored;  // syntax errors are the loader's to report
    yaml::ParseFile(sources.text(f), f, yaml::ParseLimits{}, &parsed[f], &ignored);
    for (const yaml::Document& doc : parsed[f].documents) {
      const Node* root = doc.root;
      if (root == nullptr || !root->IsMap()) continue;
      const std::string api = Str(root->Get("apiVersion"));
      if (api.rfind("flagger.app/", 0) != 0) continue;
      const std::string kind = Str(root->Get("kind"));
      const std::string ns = Str(At(root, {"metadata", "namespace"}), default_namespace);
      if (kind == "MetricTemplate") {
        templates[ns + "/" + Str(At(root, {"metadata", "name"}))] =
            Template{Str(At(root, {"spec", "query"})), LocOf(f, root, "")};
      } else if (kind == "Canary") {
        canaries.emplace_back(f, root);
      }
    }
  }
  for (const auto& [file, root] : canaries) {
    CanarySpec c;
    c.namespace_ = Str(At(root, {"metadata", "namespace"}), default_namespace);
    c.name = Str(At(root, {"metadata", "name"}));
    c.loc = LocOf(file, root, "");
    const ObjectRef ref{"Canary", c.namespace_, c.name};
    auto report = [&](DiagCode code, const Node* n, const std::string& path,
                      const std::string& msg) {
      diags->Report(code, LocOf(file, n != nullptr ? n : root, path), msg, ref);
    };
    c.provider = Str(At(root, {"spec", "provider"}), default_provider);
    c.target = Str(At(root, {"spec", "targetRef", "name"}));
    const std::string target_kind = Str(At(root, {"spec", "targetRef", "kind"}), "Deployment");
    if (target_kind != "Deployment") {
      report(DiagCode::MP7001, At(root, {"spec", "targetRef", "kind"}), "spec.targetRef.kind",
             "targetRef kind " + target_kind + " is not simulated (Deployments only)");
    }
    c.service = Str(At(root, {"spec", "service", "name"}), c.target);
    c.port = static_cast<int>(Num(At(root, {"spec", "service", "port"})).value_or(80));
    if (const Node* tp = At(root, {"spec", "service", "targetPort"})) {
      if (auto v = Num(tp)) {
        c.target_port = static_cast<int>(*v);
      } else {
        c.target_port_name = Str(tp);
      }
    }
    if (At(root, {"spec", "service", "gatewayRefs"}) != nullptr) {
      report(DiagCode::MP7003, At(root, {"spec", "service", "gatewayRefs"}),
             "spec.service.gatewayRefs",
             "gatewayRefs ignored: the rollout is simulated through the SMI TrafficSplit of "
             "provider " +
                 c.provider);
    }
    c.skip_analysis = Str(At(root, {"spec", "skipAnalysis"})) == "true";
    const Node* a = At(root, {"spec", "analysis"});
    if (a == nullptr) a = At(root, {"spec", "canaryAnalysis"});  // v1alpha3 name
    // Interval: default 60s, unparsable 60s, clamped to >= 10s (GetAnalysisInterval).
    if (const Node* iv = At(a, {"interval"})) {
      auto d = ParseGoDuration(Str(iv));
      if (!d) {
        report(DiagCode::MP7003, iv, "spec.analysis.interval",
               "interval '" + Str(iv) + "' does not parse: 60s, as Flagger");
      } else if (*d < 10) {
        report(DiagCode::MP7003, iv, "spec.analysis.interval",
               "interval '" + Str(iv) + "' is clamped to 10s, as Flagger");
        c.interval = 10;
      } else {
        c.interval = *d;
      }
    }
    c.threshold = static_cast<int>(Num(At(a, {"threshold"})).value_or(0));
    if (c.threshold <= 0) {
      if (At(a, {"threshold"}) != nullptr) {
        report(DiagCode::MP7003, At(a, {"threshold"}), "spec.analysis.threshold",
               "threshold <= 0 counts as 1, as Flagger");
      }
      c.threshold = 1;
    }
    c.step_weight = static_cast<int>(Num(At(a, {"stepWeight"})).value_or(0));
    if (const Node* sw = At(a, {"stepWeights"}); sw != nullptr && sw->IsSeq()) {
      for (const Node* x : sw->children)
        c.step_weights.push_back(static_cast<int>(Num(x).value_or(0)));
    }
    c.max_weight = static_cast<int>(Num(At(a, {"maxWeight"})).value_or(0));
    if (!c.step_weights.empty()) {
      c.max_weight = std::min(100, c.step_weights.back());  // even when stepWeight is set too
    } else if (c.max_weight <= 0) {
      c.max_weight = 100;
    }
    c.step_weight_promotion = static_cast<int>(Num(At(a, {"stepWeightPromotion"})).value_or(0));
    c.iterations = static_cast<int>(Num(At(a, {"iterations"})).value_or(0));
    const bool has_match = At(a, {"match"}) != nullptr;
    if (!SmiProvider(c.provider)) {
      report(DiagCode::MP7001, At(root, {"spec", "provider"}), "spec.provider",
             "provider '" + c.provider +
                 "' does not route through an SMI TrafficSplit; meshproof predicts SMI rollouts "
                 "(linkerd, osm, "
                 "smi:v1alphaN:<mesh>)");
    }
    if (Str(At(a, {"mirror"})) == "true") {
      report(DiagCode::MP7001, At(a, {"mirror"}), "spec.analysis.mirror",
             "mirror with an SMI router: GetRoutes never reports mirroring, so runCanary re-enters "
             "the mirror step "
             "forever and the canary never advances (canary-and-metrics.md 1.4)");
    }
    if (has_match && c.iterations > 0) {
      report(DiagCode::MP7001, At(a, {"match"}), "spec.analysis.match",
             "match with iterations selects A/B testing, and SMI routers ignore match: "
             "SetRoutes(0, 100) would send "
             "all traffic, not the matched requests, to the canary");
    } else if (has_match) {
      report(DiagCode::MP7003, At(a, {"match"}), "spec.analysis.match",
             "match ignored: SMI routers do not support it");
    }
    if (c.iterations == 0 && c.step_weight <= 0 && c.step_weights.empty() && !c.skip_analysis) {
      report(DiagCode::MP7003, a, "spec.analysis",
             "no stepWeight, stepWeights or iterations: nextStepWeight is 0 and the canary never "
             "advances");
    }
    if (const Node* ms = At(a, {"metrics"}); ms != nullptr && ms->IsSeq()) {
      for (std::size_t i = 0; i < ms->children.size(); ++i) {
        const Node* mn = ms->children[i];
        const std::string path = "spec.analysis.metrics[" + std::to_string(i) + "]";
        CanaryMetric m;
        m.name = Str(At(mn, {"name"}));
        m.loc = LocOf(file, mn, path);
        m.interval = ParseGoDuration(Str(At(mn, {"interval"}), "1m")).value_or(60);
        m.min = Num(At(mn, {"thresholdRange", "min"}));
        m.max = Num(At(mn, {"thresholdRange", "max"}));
        const auto scalar = Num(At(mn, {"threshold"}));
        const Node* tref = At(mn, {"templateRef"});
        const Node* inline_query = At(mn, {"query"});
        if (tref != nullptr || inline_query != nullptr) {
          m.builtin = false;
          std::string query;
          if (tref != nullptr) {
            m.template_name =
                Str(At(tref, {"namespace"}), c.namespace_) + "/" + Str(At(tref, {"name"}));
            auto it = templates.find(m.template_name);
            if (it == templates.end()) {
              report(DiagCode::MP7002, tref, path + ".templateRef",
                     "MetricTemplate " + m.template_name + " is not in the manifests");
              continue;
            }
            query = it->second.query;
          } else {
            query = Str(inline_query);
          }
          if (auto why = ClassifyQuery(query, &m)) {
            report(DiagCode::MP7002, tref != nullptr ? tref : inline_query, path,
                   "metric " + m.name + ": the query cannot be simulated: " + *why);
            continue;
          }
          if (scalar && !m.max) m.max = scalar;  // templates: scalar threshold is a max
        } else if (m.name == "request-success-rate") {
          m.query = MetricQuery::kSuccessRatePercent;
          if (scalar && !m.min) m.min = scalar;  // fail if threshold > value
        } else if (m.name == "request-duration") {
          m.query = MetricQuery::kLatencyQuantile;
          m.quantile = 0.99;
          m.latency_unit = 1e-3;
          if (scalar && !m.max) m.max = scalar;
        } else {
          report(DiagCode::MP7002, mn, path,
                 "metric " + m.name +
                     " has neither templateRef nor query and is not a builtin "
                     "(request-success-rate, request-duration)");
          continue;
        }
        c.metrics.push_back(std::move(m));
      }
    }
    if (const Node* ws = At(a, {"webhooks"}); ws != nullptr && ws->IsSeq()) {
      for (const Node* w : ws->children) {
        CanaryWebhook hook{Str(At(w, {"name"})), Str(At(w, {"type"}), "rollout"),
                           Str(At(w, {"metadata", "cmd"}))};
        if (hook.type == "rollout" && !c.load_test_rate) c.load_test_rate = HeyRate(hook.cmd);
        c.webhooks.push_back(std::move(hook));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

const char* CanaryPhaseName(CanaryPhase p) {
  switch (p) {
    case CanaryPhase::kInitialized:
      return "Initialized";
    case CanaryPhase::kProgressing:
      return "Progressing";
    case CanaryPhase::kPromoting:
      return "Promoting";
    case CanaryPhase::kFinalising:
      return "Finalising";
    case CanaryPhase::kSucceeded:
      return "Succeeded";
    case CanaryPhase::kFailed:
      return "Failed";
  }
  return "?";
}

FlaggerStateMachine::FlaggerStateMachine(CanarySpec spec) : spec_(std::move(spec)) {}

namespace {
std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
}  // namespace

TickRecord FlaggerStateMachine::Tick(
    double now, const std::function<MetricReading(const CanaryMetric&)>& measure) {
  TickRecord r;
  r.tick = ++tick_;
  r.time = now;
  auto finish = [&]() -> TickRecord {
    r.phase = phase_;
    r.canary_weight = canary_;
    r.failed_checks = failed_;
    r.iterations = iterations_;
    return r;
  };
  auto promote = [&] {
    r.events.push_back("Copying " + Target() + " template spec to " + spec_.target + "-primary." +
                       spec_.namespace_);
    phase_ = CanaryPhase::kPromoting;
    primary_updated_ = true;
    analysing_ = false;
  };
  switch (phase_) {
    case CanaryPhase::kInitialized:
      r.events.push_back("New revision detected! Scaling up " + Target());
      phase_ = CanaryPhase::kProgressing;
      canary_ = 0;
      primary_ = 100;
      failed_ = iterations_ = 0;
      return finish();
    case CanaryPhase::kPromoting:
      if (spec_.step_weight_promotion <= 0) {
        primary_ = 100;
        canary_ = 0;
        r.events.push_back("Routing all traffic to primary");
        phase_ = CanaryPhase::kFinalising;
      } else {
        primary_ = std::min(100, primary_ + spec_.step_weight_promotion);
        canary_ = 100 - primary_;
        r.events.push_back("Advance " + Target() + " primary weight " + std::to_string(primary_));
        if (primary_ >= 100) phase_ = CanaryPhase::kFinalising;
      }
      return finish();
    case CanaryPhase::kFinalising:
      r.events.push_back("Promotion completed! Scaling down " + Target());
      phase_ = CanaryPhase::kSucceeded;
      return finish();
    case CanaryPhase::kSucceeded:
    case CanaryPhase::kFailed:
      return finish();
    case CanaryPhase::kProgressing:
      break;
  }
  if (spec_.skip_analysis) {
    promote();
    return finish();
  }
  if (failed_ >= spec_.threshold) {
    r.events.push_back("Rolling back " + Target() + " failed checks threshold reached " +
                       std::to_string(failed_));
    r.events.push_back("Canary failed! Scaling down " + Target());
    canary_ = 0;
    primary_ = 100;
    phase_ = CanaryPhase::kFailed;
    analysing_ = false;
    return finish();
  }
  if (canary_ == 0 && iterations_ == 0) {
    // The first step: pre-rollout hooks only, no metric check.
    for (const CanaryWebhook& w : spec_.webhooks) {
      if (w.type == "pre-rollout") r.events.push_back("Pre-rollout check " + w.name + " passed");
    }
    analysing_ = true;  // rollout webhooks (the load tester) run from the next tick on
  } else {
    for (const CanaryMetric& m : spec_.metrics) {
      const MetricReading v = measure(m);
      CheckRecord check{m.name, std::nullopt, "pass"};
      if (!v.has_value || std::isnan(v.value)) {
        check.verdict = "no data";
        r.checks.push_back(check);
        ++failed_;
        r.events.push_back("Halt advancement no values found for " + spec_.provider + " metric " +
                           m.name + " probably " + Target() +
                           " is not receiving traffic: running query failed: no values found");
        return finish();
      }
      double value = v.value;
      // request-duration: milliseconds truncated to a whole time.Duration of ms (linkerd.go).
      if (m.builtin && m.query == MetricQuery::kLatencyQuantile) value = std::trunc(value);
      check.value = value;
      const bool low = m.min && value < *m.min;
      const bool high = m.max && value > *m.max;
      if (low || high) {
        check.verdict = "fail";
        r.checks.push_back(check);
        ++failed_;
        if (m.builtin && m.query == MetricQuery::kSuccessRatePercent) {
          r.events.push_back("Halt " + Target() + " advancement success rate " +
                             Fmt("%.2f", value) + "% < " + Fmt("%g", *m.min) + "%");
        } else if (m.builtin) {
          r.events.push_back("Halt " + Target() + " advancement request duration " +
                             Fmt("%.2f", value / 1000) + "s > " + Fmt("%g", *m.max / 1000) + "s");
        } else if (high) {
          r.events.push_back("Halt " + Target() + " advancement " + m.name + " " +
                             Fmt("%.2f", value) + " > " + Fmt("%g", *m.max));
        } else {
          r.events.push_back("Halt " + Target() + " advancement " + m.name + " " +
                             Fmt("%.2f", value) + " < " + Fmt("%g", *m.min));
        }
        return finish();
      }
      r.checks.push_back(check);
    }
  }
  if (spec_.iterations > 0) {  // Blue/Green: iterations at weight 0, then all to canary, promote
    if (iterations_ < spec_.iterations) {
      ++iterations_;
      r.events.push_back("Advance " + Target() + " canary iteration " +
                         std::to_string(iterations_) + "/" + std::to_string(spec_.iterations));
      return finish();
    }
    if (!routed_to_canary_) {
      routed_to_canary_ = true;
      canary_ = 100;
      primary_ = 0;
      r.events.push_back("Routing all traffic to canary");
    }
    promote();
    return finish();
  }
  if (canary_ < spec_.max_weight) {
    const int step = spec_.NextStep(canary_);
    if (step > 0) {
      canary_ = std::clamp(canary_ + step, 0, 100);
      primary_ = 100 - canary_;
      r.events.push_back("Advance " + Target() + " canary weight " + std::to_string(canary_));
    }
    return finish();
  }
  promote();
  return finish();
}

}  // namespace meshproof::sim
