#include "meshproof/simulator/flagger.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <re2/re2.h>

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
// A number as an int: a YAML value such as 1e300 or .nan becomes nothing, or the nearest
// of +-1e9, never an out-of-range conversion.
std::optional<int> Int(const Node* n) {
  const auto v = Num(n);
  if (!v || std::isnan(*v)) return std::nullopt;
  return static_cast<int>(std::clamp(*v, -1e9, 1e9));
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

struct CodeMatcher {
  bool negated = false;  // != or !~: the numerator selects non-failures
  std::string value;     // a regex (=~, !~) or a literal (=, !=)
};

// The first response_code label matcher of a squashed query.
std::optional<CodeMatcher> ResponseCodeMatcher(const std::string& q) {
  const std::string label = "response_code";
  const auto at = q.find(label);
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + label.size();
  CodeMatcher m;
  bool regex = false;
  if (q.compare(i, 2, "!~") == 0 || q.compare(i, 2, "=~") == 0 || q.compare(i, 2, "!=") == 0) {
    m.negated = q[i] == '!';
    regex = q[i + 1] == '~';
    i += 2;
  } else if (q.compare(i, 1, "=") == 0) {
    i += 1;
  } else {
    return std::nullopt;
  }
  if (i >= q.size() || q[i] != '"') return std::nullopt;
  const auto end = q.find('"', i + 1);
  if (end == std::string::npos) return std::nullopt;
  m.value = q.substr(i + 1, end - i - 1);
  if (!regex) m.value = RE2::QuoteMeta(m.value);
  return m;
}

// Recognises the PromQL shapes the simulator can answer (docs/reference/canary-and-metrics.md 1.3);
// the template's label filters are taken to select the canary's inbound traffic.
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
  bool success = q.find("classification!=\"failure\"") != std::string::npos;
  bool failure = q.find("classification=\"failure\"") != std::string::npos;
  if (auto rc = ResponseCodeMatcher(q)) {
    // Prometheus label regexes are RE2, fully anchored.
    RE2 re("^(?:" + rc->value + ")$", RE2::Quiet);
    if (!re.ok()) return "the response_code matcher '" + rc->value + "' is not a valid regex";
    const bool m5xx =
        RE2::FullMatch("500", re) || RE2::FullMatch("503", re) || RE2::FullMatch("504", re);
    m->fails_5xx = m5xx;
    m->fails_403 = RE2::FullMatch("403", re);
    (rc->negated ? success : failure) = true;
    if (!m5xx && !m->fails_403) {
      return "the response_code matcher '" + rc->value +
             "' selects neither 5xx nor 403, the only failures the simulation produces";
    }
  }
  // "100 - <success ratio> * 100" and "1 - <success ratio>" are error rates (and back).
  if (ratio && (q.rfind("100-", 0) == 0 || q.rfind("1-", 0) == 0)) std::swap(success, failure);
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
  return "only success/error ratios (classification or response_code), histogram_quantile of a "
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

}  // namespace

bool SmiProvider(const std::string& p) {
  return p == "linkerd" || p == "osm" || p.rfind("smi:", 0) == 0;
}

std::optional<DenialVisibility> DenialsSeenByMetric(const std::string& query) {
  // linkerd2-proxy linkerd/app/inbound/src/http/router.rs: NewHttpPolicy wraps the stack
  // that records response_total, so a denied request is never counted.
  if (query.find("response_total") != std::string::npos ||
      query.find("response_latency_ms") != std::string::npos) {
    return DenialVisibility::kInvisible;
  }
  // OSM pkg/envoy/generator/lds/inmesh.go: the inbound filter chain's network RBAC closes a
  // denied connection before the HTTP connection manager and its WASM stats filter; the
  // caller's proxy records a local reply with destination_name "unknown" (wasm.go), which
  // no destination_name="<target>" selector matches.
  if (query.find("osm_request") != std::string::npos) return DenialVisibility::kInvisible;
  // Istio: the destination proxy's RBAC filter answers 403 inside the HTTP filter chain,
  // after the stats filter has started the request, so istio_requests_total{response_code
  // ="403"} counts it.
  if (query.find("istio_request") != std::string::npos) return DenialVisibility::kRecorded;
  return std::nullopt;
}

DenialVisibility DenialsSeenByObserver(const std::string& metrics_provider) {
  if (metrics_provider == "linkerd" || metrics_provider == "osm") {
    return DenialVisibility::kInvisible;
  }
  return DenialVisibility::kRecorded;  // the default (Istio) observer
}

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
  // Go's time.Duration is int64 nanoseconds: beyond about 292 years ParseDuration fails.
  if (!std::isfinite(total) || std::fabs(total) > 9.223372036854775807e9) return std::nullopt;
  return total;
}

std::string GoDurationString(std::int64_t d) {
  // time.Duration.String: below a second one unit (ns, µs, ms) with a fraction; from a
  // second on h, m and s with the seconds' fraction, leading zero units left out.
  if (d == 0) return "0s";
  const bool neg = d < 0;
  const std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
  auto fraction = [](std::uint64_t v, int digits) {  // "int[.frac]" of v / 10^digits
    std::uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::string frac = std::to_string(v % scale);
    frac = std::string(static_cast<std::size_t>(digits) - frac.size(), '0') + frac;
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return std::to_string(v / scale) + (frac.empty() ? "" : "." + frac);
  };
  std::string out;
  if (u < 1000000000ULL) {
    if (u < 1000ULL) {
      out = std::to_string(u) + "ns";
    } else if (u < 1000000ULL) {
      out = fraction(u, 3) + "\u00b5s";
    } else {
      out = fraction(u, 6) + "ms";
    }
  } else {
    const std::uint64_t hours = u / 3600000000000ULL;
    const std::uint64_t minutes = u / 60000000000ULL % 60;
    const std::string secs = fraction(u % 60000000000ULL, 9) + "s";
    if (hours > 0) {
      out = std::to_string(hours) + "h" + std::to_string(minutes) + "m" + secs;
    } else if (minutes > 0) {
      out = std::to_string(minutes) + "m" + secs;
    } else {
      out = secs;
    }
  }
  return neg ? "-" + out : out;
}

std::string GoFloatString(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  // The shortest %e that reads back: its digits and decimal exponent.
  char buf[64];
  for (int prec = 0; prec < 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string e = buf;
  const auto epos = e.find('e');
  const int exp = std::atoi(e.c_str() + epos + 1);
  std::string digits;
  for (std::size_t i = 0; i < epos; ++i) {
    if (std::isdigit(static_cast<unsigned char>(e[i]))) digits += e[i];
  }
  const std::string sign = v < 0 ? "-" : "";
  // %v is strconv.FormatFloat(v, 'g', -1, 64): %e when exp < -4 || exp >= 6 (the
  // shortest precision decides with 6), so 1e+06 and 1.5e-05.
  if (exp < -4 || exp >= 6) {
    std::string mant = digits.substr(0, 1);
    if (digits.size() > 1) mant += "." + digits.substr(1);
    char ex[16];
    std::snprintf(ex, sizeof ex, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return sign + mant + ex;
  }
  if (exp < 0) return sign + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  const auto point = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= point) return sign + digits + std::string(point - digits.size(), '0');
  return sign + digits.substr(0, point) + "." + digits.substr(point);
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

namespace {

using TemplateMap = std::map<std::string, Template>;  // ns/name

// Every MetricTemplate and Canary in the manifests (flagger.app/*), from the loaded text.
void CollectFlaggerObjects(const SourceSet& sources, const std::string& default_namespace,
                           std::vector<yaml::ParsedFile>* parsed, TemplateMap* templates,
                           std::vector<std::pair<FileId, const Node*>>* canaries) {
  parsed->resize(sources.size());
  for (FileId f = 0; f < sources.size(); ++f) {
    // Most manifests hold no Flagger object: they are not parsed a second time.
    if (sources.text(f).find("flagger.app/") == std::string::npos) continue;
    Diagnostics ignored;  // syntax errors are the loader's to report
    yaml::ParseFile(sources.text(f), f, yaml::ParseLimits{}, &(*parsed)[f], &ignored);
    for (const yaml::Document& doc : (*parsed)[f].documents) {
      const Node* root = doc.root;
      if (root == nullptr || !root->IsMap()) continue;
      const std::string api = Str(root->Get("apiVersion"));
      if (api.rfind("flagger.app/", 0) != 0) continue;
      const std::string kind = Str(root->Get("kind"));
      const std::string ns = Str(At(root, {"metadata", "namespace"}), default_namespace);
      if (kind == "MetricTemplate") {
        (*templates)[ns + "/" + Str(At(root, {"metadata", "name"}))] =
            Template{Str(At(root, {"spec", "query"})), LocOf(f, root, "")};
      } else if (kind == "Canary") {
        canaries->emplace_back(f, root);
      }
    }
  }
}

// Reads one Canary with Flagger's defaults and clamps, reporting MP7001-MP7003 on it.
class CanaryReader {
 public:
  CanaryReader(FileId file, const Node* root, const TemplateMap& templates, Diagnostics* diags,
               CanaryUse use)
      : file_(file), root_(root), templates_(templates), diags_(diags), use_(use) {}

  CanarySpec Read(const std::string& default_provider, const std::string& default_namespace,
                  const std::string& mesh_provider) {
    CanarySpec c;
    c.namespace_ = Str(At(root_, {"metadata", "namespace"}), default_namespace);
    c.name = Str(At(root_, {"metadata", "name"}));
    c.loc = LocOf(file_, root_, "");
    ref_ = ObjectRef{"Canary", c.namespace_, c.name};
    c.provider = Str(At(root_, {"spec", "provider"}), default_provider);
    // runBuiltinMetricChecks: the Canary's provider picks the observer, except that a
    // Linkerd mesh provider always queries Linkerd's metrics.
    c.metrics_provider = c.provider;
    if (mesh_provider.find("linkerd") != std::string::npos) c.metrics_provider = "linkerd";
    ReadTargetAndService(&c);
    c.skip_analysis = Str(At(root_, {"spec", "skipAnalysis"})) == "true";
    const Node* a = At(root_, {"spec", "analysis"});
    if (a == nullptr) a = At(root_, {"spec", "canaryAnalysis"});  // v1alpha3 name
    ReadSteps(a, &c);
    CheckRouterSupport(a, c);
    if (const Node* ms = At(a, {"metrics"}); ms != nullptr && ms->IsSeq()) {
      for (std::size_t i = 0; i < ms->children.size(); ++i) {
        if (auto m = ReadMetric(ms->children[i], i, c)) c.metrics.push_back(*m);
      }
    }
    ReadWebhooks(a, &c);
    return c;
  }

 private:
  void Report(DiagCode code, const Node* n, const std::string& path, const std::string& msg) {
    diags_->Report(code, LocOf(file_, n != nullptr ? n : root_, path), msg, ref_);
  }
  // What only the simulator cannot follow, reported when predicting but not by verify.
  void ReportForPrediction(DiagCode code, const Node* n, const std::string& path,
                           const std::string& msg) {
    if (use_ == CanaryUse::kPrediction) Report(code, n, path, msg);
  }
  // What Flagger's SMI routers do, reported by verify only for a Canary that uses one.
  bool SmiRouted(const CanarySpec& c) const {
    return use_ == CanaryUse::kPrediction || SmiProvider(c.provider);
  }

  void ReadTargetAndService(CanarySpec* cp) {
    CanarySpec& c = *cp;
    const Node* root = root_;
    c.target = Str(At(root, {"spec", "targetRef", "name"}));
    const std::string target_kind = Str(At(root, {"spec", "targetRef", "kind"}), "Deployment");
    c.target_kind = target_kind;
    if (target_kind != "Deployment") {
      ReportForPrediction(DiagCode::MP7001, At(root, {"spec", "targetRef", "kind"}),
                          "spec.targetRef.kind",
                          "targetRef kind " + target_kind + " is not simulated (Deployments only)");
    }
    c.service = Str(At(root, {"spec", "service", "name"}), c.target);
    c.port = Int(At(root, {"spec", "service", "port"})).value_or(80);
    if (const Node* tp = At(root, {"spec", "service", "targetPort"})) {
      if (auto v = Int(tp)) {
        c.target_port = *v;
      } else {
        c.target_port_name = Str(tp);
      }
    }
    if (At(root, {"spec", "service", "gatewayRefs"}) != nullptr && SmiRouted(c)) {
      Report(DiagCode::MP7003, At(root, {"spec", "service", "gatewayRefs"}),
             "spec.service.gatewayRefs",
             "gatewayRefs ignored: the rollout is simulated through the SMI TrafficSplit of "
             "provider " +
                 c.provider);
    }
  }

  // Interval, threshold and the weight schedule.
  void ReadSteps(const Node* a, CanarySpec* cp) {
    CanarySpec& c = *cp;
    // Interval: default 60s, unparsable 60s, clamped to >= 10s (GetAnalysisInterval).
    if (const Node* iv = At(a, {"interval"})) {
      auto d = ParseGoDuration(Str(iv));
      if (!d) {
        Report(DiagCode::MP7003, iv, "spec.analysis.interval",
               "interval '" + Str(iv) + "' does not parse: 60s, as Flagger");
      } else if (*d < 10) {
        Report(DiagCode::MP7003, iv, "spec.analysis.interval",
               "interval '" + Str(iv) + "' is clamped to 10s, as Flagger");
        c.interval = 10;
      } else {
        c.interval = *d;
      }
    }
    c.threshold = Int(At(a, {"threshold"})).value_or(0);
    if (c.threshold <= 0) {
      if (At(a, {"threshold"}) != nullptr) {
        Report(DiagCode::MP7003, At(a, {"threshold"}), "spec.analysis.threshold",
               "threshold <= 0 counts as 1, as Flagger");
      }
      c.threshold = 1;
    }
    c.step_weight = Int(At(a, {"stepWeight"})).value_or(0);
    if (const Node* sw = At(a, {"stepWeights"}); sw != nullptr && sw->IsSeq()) {
      for (const Node* x : sw->children) c.step_weights.push_back(Int(x).value_or(0));
    }
    c.max_weight = Int(At(a, {"maxWeight"})).value_or(0);
    if (!c.step_weights.empty()) {
      c.max_weight = std::min(100, c.step_weights.back());  // even when stepWeight is set too
    } else if (c.max_weight <= 0) {
      c.max_weight = 100;
    }
    c.step_weight_promotion = Int(At(a, {"stepWeightPromotion"})).value_or(0);
    c.iterations = Int(At(a, {"iterations"})).value_or(0);
  }

  // Settings Flagger's SMI routers mishandle (MP7001) or ignore (MP7003).
  void CheckRouterSupport(const Node* a, const CanarySpec& c) {
    const Node* root = root_;
    const bool has_match = At(a, {"match"}) != nullptr;
    if (!SmiProvider(c.provider)) {
      ReportForPrediction(
          DiagCode::MP7001, At(root, {"spec", "provider"}), "spec.provider",
          "provider '" + c.provider +
              "' does not route through an SMI TrafficSplit; meshproof predicts SMI rollouts "
              "(linkerd, osm, "
              "smi:v1alphaN:<mesh>)");
    }
    if (Str(At(a, {"mirror"})) == "true" && SmiRouted(c)) {
      Report(DiagCode::MP7001, At(a, {"mirror"}), "spec.analysis.mirror",
             "mirror with an SMI router: GetRoutes never reports mirroring, so runCanary re-enters "
             "the mirror step "
             "forever and the canary never advances (docs/reference/canary-and-metrics.md 1.4)");
    }
    if (!SmiRouted(c)) {
      // Not an SMI router: match and mirror are the provider's own business.
    } else if (has_match && c.iterations > 0) {
      Report(DiagCode::MP7001, At(a, {"match"}), "spec.analysis.match",
             "match with iterations selects A/B testing, and SMI routers ignore match: "
             "SetRoutes(0, 100) would send "
             "all traffic, not the matched requests, to the canary");
    } else if (has_match) {
      Report(DiagCode::MP7003, At(a, {"match"}), "spec.analysis.match",
             "match ignored: SMI routers do not support it");
    }
    if (c.iterations == 0 && c.step_weight <= 0 && c.step_weights.empty() && !c.skip_analysis) {
      Report(DiagCode::MP7003, a, "spec.analysis",
             "no stepWeight, stepWeights or iterations: nextStepWeight is 0 and the canary never "
             "advances");
    }
  }

  // One analysis metric: a builtin, an inline query or a MetricTemplate; nullopt (after
  // reporting MP7002) when the simulator cannot compute it.
  std::optional<CanaryMetric> ReadMetric(const Node* mn, std::size_t i, const CanarySpec& c) {
    const std::string& ns = c.namespace_;
    const std::string path = "spec.analysis.metrics[" + std::to_string(i) + "]";
    CanaryMetric m;
    m.name = Str(At(mn, {"name"}));
    m.loc = LocOf(file_, mn, path);
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
        m.template_name = Str(At(tref, {"namespace"}), ns) + "/" + Str(At(tref, {"name"}));
        auto it = templates_.find(m.template_name);
        if (it == templates_.end()) {
          Report(DiagCode::MP7002, tref, path + ".templateRef",
                 "MetricTemplate " + m.template_name + " is not in the manifests");
          return std::nullopt;
        }
        query = it->second.query;
      } else {
        query = Str(inline_query);
        m.inline_query = true;
      }
      m.denials = DenialsSeenByMetric(query).value_or(DenialsSeenByObserver(c.metrics_provider));
      if (auto why = ClassifyQuery(query, &m)) {
        ReportForPrediction(DiagCode::MP7002, tref != nullptr ? tref : inline_query, path,
                            "metric " + m.name + ": the query cannot be simulated: " + *why);
        return std::nullopt;
      }
      if (scalar && !m.max) m.max = scalar;  // templates: scalar threshold is a max
    } else if (m.name == "request-success-rate") {
      m.denials = DenialsSeenByObserver(c.metrics_provider);
      m.query = MetricQuery::kSuccessRatePercent;
      if (scalar && !m.min) m.min = scalar;  // fail if threshold > value
    } else if (m.name == "request-duration") {
      m.denials = DenialsSeenByObserver(c.metrics_provider);
      m.query = MetricQuery::kLatencyQuantile;
      m.quantile = 0.99;
      m.latency_unit = 1e-3;
      if (scalar && !m.max) m.max = scalar;
    } else {
      ReportForPrediction(DiagCode::MP7002, mn, path,
                          "metric " + m.name +
                              " has neither templateRef nor query and is not a builtin "
                              "(request-success-rate, request-duration)");
      return std::nullopt;
    }
    return m;
  }

  void ReadWebhooks(const Node* a, CanarySpec* cp) {
    CanarySpec& c = *cp;
    if (const Node* ws = At(a, {"webhooks"}); ws != nullptr && ws->IsSeq()) {
      for (const Node* w : ws->children) {
        CanaryWebhook hook{Str(At(w, {"name"})), Str(At(w, {"type"}), "rollout"),
                           Str(At(w, {"metadata", "cmd"}))};
        if (hook.type == "rollout" && !c.load_test_rate) c.load_test_rate = HeyRate(hook.cmd);
        c.webhooks.push_back(std::move(hook));
      }
    }
  }

  FileId file_;
  const Node* root_;
  const TemplateMap& templates_;
  Diagnostics* diags_;
  CanaryUse use_;
  ObjectRef ref_;
};

}  // namespace

std::vector<CanarySpec> ParseCanaries(const SourceSet& sources, const std::string& default_provider,
                                      const std::string& default_namespace, Diagnostics* diags,
                                      const std::string& mesh_provider, CanaryUse use) {
  std::vector<yaml::ParsedFile> parsed;
  TemplateMap templates;
  std::vector<std::pair<FileId, const Node*>> canaries;
  CollectFlaggerObjects(sources, default_namespace, &parsed, &templates, &canaries);
  std::vector<CanarySpec> out;
  for (const auto& [file, root] : canaries) {
    out.push_back(CanaryReader(file, root, templates, diags, use)
                      .Read(default_provider, default_namespace, mesh_provider));
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

TickRecord FlaggerStateMachine::Finish(TickRecord r) const {
  r.phase = phase_;
  r.canary_weight = canary_;
  r.failed_checks = failed_;
  r.iterations = iterations_;
  return r;
}

void FlaggerStateMachine::Promote(TickRecord* r) {
  r->events.push_back("Copying " + Target() + " template spec to " + spec_.target + "-primary." +
                      spec_.namespace_);
  phase_ = CanaryPhase::kPromoting;
  primary_updated_ = true;
  analysing_ = false;
}

bool FlaggerStateMachine::StepOutsideAnalysis(TickRecord* r) {
  switch (phase_) {
    case CanaryPhase::kInitialized:
      r->events.push_back("New revision detected! Scaling up " + Target());
      phase_ = CanaryPhase::kProgressing;
      canary_ = 0;
      primary_ = 100;
      failed_ = iterations_ = 0;
      return true;
    case CanaryPhase::kPromoting:
      if (spec_.step_weight_promotion <= 0) {
        primary_ = 100;
        canary_ = 0;
        r->events.push_back("Routing all traffic to primary");
        phase_ = CanaryPhase::kFinalising;
      } else {
        primary_ = std::min(100, primary_ + spec_.step_weight_promotion);
        canary_ = 100 - primary_;
        r->events.push_back("Advance " + Name() + " primary weight " + std::to_string(primary_));
        if (primary_ >= 100) phase_ = CanaryPhase::kFinalising;
      }
      return true;
    case CanaryPhase::kFinalising:
      r->events.push_back("Promotion completed! Scaling down " + Target());
      phase_ = CanaryPhase::kSucceeded;
      return true;
    case CanaryPhase::kSucceeded:
    case CanaryPhase::kFailed:
      return true;
    case CanaryPhase::kProgressing:
      break;
  }
  return false;
}

bool FlaggerStateMachine::RollBackIfFailed(TickRecord* r) {
  if (failed_ < spec_.threshold) return false;
  r->events.push_back("Rolling back " + Name() + " failed checks threshold reached " +
                      std::to_string(failed_));
  r->events.push_back("Canary failed! Scaling down " + Name());
  canary_ = 0;
  primary_ = 100;
  phase_ = CanaryPhase::kFailed;
  analysing_ = false;
  return true;
}

// scheduler_metrics.go: each kind of metric words its halt its own way. Success rates
// print with %.2f and the threshold with %v; request durations print both sides as
// time.Duration (%v), the measured value whole milliseconds (the observers truncate it) and
// the threshold time.Duration(threshold) * time.Millisecond.
std::string FlaggerStateMachine::HaltEvent(const CanaryMetric& m, double value, bool high) const {
  const std::string op = high ? " > " : " < ";
  const double bound = high ? *m.max : *m.min;
  if (m.builtin && m.query == MetricQuery::kSuccessRatePercent) {
    return "Halt " + Name() + " advancement success rate " + Fmt("%.2f", value) + "%" + op +
           GoFloatString(bound) + "%";
  }
  if (m.builtin) {
    const auto ms = [](double v) { return static_cast<std::int64_t>(v) * 1000000; };
    return "Halt " + Name() + " advancement request duration " + GoDurationString(ms(value)) + op +
           GoDurationString(ms(bound));
  }
  return "Halt " + Name() + " advancement " + m.name + " " + Fmt("%.2f", value) + op +
         GoFloatString(bound);
}

// The no-data warnings of runBuiltinMetricChecks and runMetricChecks, word for word; the
// error a query without values returns reads "running query failed: no values found" for
// the observers and "no values found" for a template's provider.
std::string FlaggerStateMachine::NoDataEvent(const CanaryMetric& m) const {
  if (m.builtin && m.query == MetricQuery::kSuccessRatePercent) {
    return "Halt advancement no values found for " + spec_.metrics_provider + " metric " + m.name +
           " probably " + Target() +
           " is not receiving traffic: running query failed: no values found";
  }
  if (m.builtin) {
    return "Halt advancement no values found for " + spec_.metrics_provider + " metric " + m.name +
           " probably " + Target() + " is not receiving traffic";
  }
  if (m.inline_query) return "Halt advancement no values found for metric: " + m.name;
  return "Halt advancement no values found for custom metric: " + m.name + ": no values found";
}

bool FlaggerStateMachine::CheckMetric(const CanaryMetric& m, const MetricReading& v,
                                      TickRecord* r) {
  CheckRecord check{m.name, std::nullopt, "pass"};
  if (!v.has_value || std::isnan(v.value)) {
    check.verdict = "no data";
    r->checks.push_back(check);
    r->events.push_back(NoDataEvent(m));
    return false;
  }
  double value = v.value;
  // request-duration: milliseconds truncated to a whole time.Duration of ms (linkerd.go).
  if (m.builtin && m.query == MetricQuery::kLatencyQuantile) value = std::trunc(value);
  check.value = value;
  const bool low = m.min && value < *m.min;
  const bool high = !low && m.max && value > *m.max;
  if (low || high) {
    check.verdict = "fail";
    r->checks.push_back(check);
    r->events.push_back(HaltEvent(m, value, high));
    return false;
  }
  r->checks.push_back(check);
  return true;
}

// runAnalysis: runBuiltinMetricChecks over every metric (request-success-rate,
// request-duration and inline queries, in list order), then runMetricChecks over the
// MetricTemplate metrics, whatever their place in analysis.metrics. The first failure
// ends the tick's checks with one failed check.
bool FlaggerStateMachine::RunChecks(
    const std::function<MetricReading(const CanaryMetric&)>& measure, TickRecord* r) {
  for (const bool builtin_pass : {true, false}) {
    for (const CanaryMetric& m : spec_.metrics) {
      const bool in_builtin_pass = m.builtin || m.inline_query;
      if (in_builtin_pass != builtin_pass) continue;
      if (!CheckMetric(m, measure(m), r)) {
        ++failed_;
        return false;
      }
    }
  }
  return true;
}

void FlaggerStateMachine::Advance(TickRecord* r) {
  if (spec_.iterations > 0) {  // Blue/Green: iterations at weight 0, then all to canary, promote
    // runBlueGreen: iterations at weight 0; at the last one all traffic goes to the
    // canary and the counter passes the spec (no promotion on that tick); the next tick's
    // checks gate the promotion (TestScheduler_DeploymentBlueGreenAnalysisPhases).
    if (iterations_ < spec_.iterations) {
      ++iterations_;
      r->events.push_back("Advance " + Name() + " canary iteration " + std::to_string(iterations_) +
                          "/" + std::to_string(spec_.iterations));
      return;
    }
    if (iterations_ == spec_.iterations) {
      canary_ = 100;
      primary_ = 0;
      r->events.push_back("Routing all traffic to canary");
      ++iterations_;
      return;
    }
    Promote(r);
    return;
  }
  if (canary_ < spec_.max_weight) {
    const int step = spec_.NextStep(canary_);
    if (step > 0) {
      canary_ = std::clamp(canary_ + step, 0, 100);
      primary_ = 100 - canary_;
      r->events.push_back("Advance " + Name() + " canary weight " + std::to_string(canary_));
    }
    return;
  }
  Promote(r);
}

TickRecord FlaggerStateMachine::Tick(
    double now, const std::function<MetricReading(const CanaryMetric&)>& measure) {
  TickRecord r;
  r.tick = ++tick_;
  r.time = now;
  if (StepOutsideAnalysis(&r)) return Finish(std::move(r));
  if (spec_.skip_analysis) {
    // shouldSkipAnalysis: all traffic to the primary, the spec copied, Succeeded, one tick.
    canary_ = 0;
    primary_ = 100;
    Promote(&r);
    phase_ = CanaryPhase::kSucceeded;
    r.events.push_back("Promotion completed! Canary analysis was skipped for " + Target());
    return Finish(std::move(r));
  }
  if (RollBackIfFailed(&r)) return Finish(std::move(r));
  if (canary_ == 0 && iterations_ == 0) {
    // The first step: pre-rollout hooks only, no metric check.
    r.events.push_back("Starting canary analysis for " + Target());
    for (const CanaryWebhook& w : spec_.webhooks) {
      if (w.type == "pre-rollout") r.events.push_back("Pre-rollout check " + w.name + " passed");
    }
    analysing_ = true;  // rollout webhooks (the load tester) run from the next tick on
  } else if (!RunChecks(measure, &r)) {
    return Finish(std::move(r));
  }
  Advance(&r);
  return Finish(std::move(r));
}

}  // namespace meshproof::sim
