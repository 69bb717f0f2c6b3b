#include "meshproof/simulator/scenario.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "overrides.h"

#include "meshproof/engine/input.h"
#include "meshproof/engine/names.h"
#include "meshproof/engine/numeric.h"
#include "meshproof/engine/profile.h"
#include "meshproof/engine/text.h"
#include "meshproof/engine/yaml_tree.h"

namespace meshproof::sim {
namespace {

namespace fs = std::filesystem;
using yaml::Node;
using yaml::ScalarType;

std::string Found(const Node* n) {
  if (n == nullptr) return "nothing";
  if (n->IsScalar()) {
    std::string v = n->value.size() > 40 ? n->value.substr(0, 40) + "..." : n->value;
    return std::string("a ") + n->TypeName() + " '" + v + "'";
  }
  return std::string("a ") + n->TypeName();
}

// Walks the tree with the YAML path of each node, and records MP6001 problems.
class Reader {
 public:
  Reader(FileId file, Diagnostics* diags, const NodeOrigins* origins = nullptr)
      : file_(file), diags_(diags), origins_(origins) {}

  // The file a node came from: the scenario, or an override (--set) that replaced it.
  FileId FileOf(const Node* n) const {
    if (origins_ == nullptr || n == nullptr) return file_;
    auto it = origins_->find(n);
    return it == origins_->end() ? file_ : it->second;
  }

  void Error(const Node* n, const std::string& path, const std::string& message) {
    Loc loc{FileOf(n), n != nullptr ? n->line : 0, n != nullptr ? n->column : 0, path};
    diags_->Report(DiagCode::MP6001, loc, path.empty() ? message : path + ": " + message);
  }
  void Expected(const Node* n, const std::string& path, const std::string& what) {
    Error(n, path, "expected " + what + ", found " + Found(n));
  }

  // Visits the keys of a map; unknown keys are errors naming the allowed ones.
  template <typename F>
  void Map(const Node* n, const std::string& path, const std::vector<std::string>& allowed, F&& f) {
    if (n == nullptr || !n->IsMap()) {
      Expected(n, path, "a map");
      return;
    }
    for (std::size_t i = 0; i < n->MapSize(); ++i) {
      const std::string key = n->Key(i)->value;
      const std::string sub = path.empty() ? key : path + "." + key;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Error(n->Key(i), sub, "unknown field '" + key + "' (expected one of: " + list + ")");
        continue;
      }
      f(key, n->Value(i), sub);
    }
  }

  template <typename F>
  void List(const Node* n, const std::string& path, F&& f) {
    if (n == nullptr || !n->IsSeq()) {
      Expected(n, path, "a list");
      return;
    }
    for (std::size_t i = 0; i < n->children.size(); ++i) {
      f(n->children[i], path + "[" + std::to_string(i) + "]");
    }
  }

  std::optional<std::string> String(const Node* n, const std::string& path) {
    if (n == nullptr || !n->IsScalar()) {
      Expected(n, path, "a string");
      return std::nullopt;
    }
    return n->value;
  }

  std::optional<double> Number(const Node* n, const std::string& path, const std::string& what,
                               double lo, double hi) {
    if (n == nullptr || !n->IsScalar() ||
        (n->Type() != ScalarType::kInt && n->Type() != ScalarType::kFloat)) {
      Expected(n, path, what);
      return std::nullopt;
    }
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(n->value.c_str(), &end);
    if (errno != 0 || end == n->value.c_str() || !std::isfinite(v)) {
      Expected(n, path, what);
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      std::ostringstream m;
      m << "expected " << what << " in [" << lo << ", " << hi << "], found " << n->value;
      Error(n, path, m.str());
      return std::nullopt;
    }
    return v;
  }

  std::optional<int> Int(const Node* n, const std::string& path, const std::string& what, long lo,
                         long hi) {
    if (n == nullptr || !n->IsScalar() || n->Type() != ScalarType::kInt) {
      Expected(n, path, what);
      return std::nullopt;
    }
    const long v = std::strtol(n->value.c_str(), nullptr, 0);
    if (v < lo || v > hi) {
      Error(n, path,
            "expected " + what + " in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "], found " + n->value);
      return std::nullopt;
    }
    return static_cast<int>(v);
  }

  // A duration: "10ms", "1.5s", or a number of seconds.
  std::optional<double> Duration(const Node* n, const std::string& path, bool allow_zero = true) {
    if (n == nullptr || !n->IsScalar()) {
      Expected(n, path, "a duration such as 250ms, 1.5s or 2m");
      return std::nullopt;
    }
    auto d = ParseDuration(n->value);
    if (!d || *d < 0 || (!allow_zero && *d == 0)) {
      Expected(n, path,
               std::string(allow_zero ? "a duration >= 0 such as 250ms, 1.5s or 2m"
                                      : "a positive duration such as 250ms, 1.5s or 2m") +
                   ", at most " + kMaxDurationText);
      return std::nullopt;
    }
    return d;
  }

  bool Bool(const Node* n, const std::string& path, bool fallback) {
    if (n == nullptr || !n->IsScalar() || n->Type() != ScalarType::kBool) {
      Expected(n, path, "true or false");
      return fallback;
    }
    return n->BoolValue();
  }

  // ns/name references.
  std::optional<std::string> Ref(const Node* n, const std::string& path, const std::string& what) {
    auto s = String(n, path);
    if (!s) return std::nullopt;
    if (!NamespacedName::Parse(*s, "") || s->find('/') == std::string::npos) {
      Error(n, path, "expected " + what + " as namespace/name, found '" + *s + "'");
      return std::nullopt;
    }
    return s;
  }

  Loc LocOf(const Node* n, const std::string& path) const {
    return Loc{FileOf(n), n != nullptr ? n->line : 0, n != nullptr ? n->column : 0, path};
  }

  // The fields of a distribution map, as read; ok is false once one is bad.
  struct DistFields {
    std::optional<double> mean, value, median, p99, cs2;
    std::optional<int> k;
    std::vector<double> bounds, weights;
    bool ok = true;
  };
  std::optional<Distribution> Dist(const Node* n, const std::string& path);
  void Buckets(const Node* v, const std::string& sub, DistFields* f);
  std::optional<Distribution> BuildDist(const std::string& kind, const Node* kind_node,
                                        const Node* n, const std::string& path, DistFields* f);
  std::optional<RequestShape> Request(const Node* n, const std::string& path, bool with_weight,
                                      const std::vector<std::string>& extra,
                                      RequestShape base = {});
  void ParseBehaviour(const Node* n, const std::string& path, Behaviour* b, bool is_default,
                      std::string* workload);
  std::optional<DownstreamCall> Call(const Node* n, const std::string& path, bool forward);

 private:
  FileId file_;
  Diagnostics* diags_;
  const NodeOrigins* origins_;
};

std::optional<Distribution> Reader::Dist(const Node* n, const std::string& path) {
  // Short forms: "10ms" (deterministic), or a map with `distribution`.
  if (n != nullptr && n->IsScalar()) {
    auto d = Duration(n, path);
    if (!d) return std::nullopt;
    return Distribution::Deterministic(*d);
  }
  if (n == nullptr || !n->IsMap()) {
    Expected(n, path, "a distribution: a duration, or a map with `distribution:`");
    return std::nullopt;
  }
  const Node* kind_node = n->Get("distribution");
  if (kind_node == nullptr) {
    Error(
        n, path,
        "missing `distribution:` (exponential, deterministic, lognormal, erlang, hyperexponential, "
        "empirical)");
    return std::nullopt;
  }
  DistFields f;
  const std::vector<std::string> allowed = {"distribution", "mean", "value", "median",
                                            "p99",          "k",    "scv",   "buckets"};
  Map(n, path, allowed, [&](const std::string& key, const Node* v, const std::string& sub) {
    if (key == "mean") f.mean = Duration(v, sub, false);
    if (key == "value") f.value = Duration(v, sub);
    if (key == "median") f.median = Duration(v, sub, false);
    if (key == "p99") f.p99 = Duration(v, sub, false);
    if (key == "k") f.k = Int(v, sub, "an integer number of phases", 1, 1000);
    if (key == "scv") {
      f.cs2 = Number(v, sub, "a squared coefficient of variation > 1", 1.000001, 1e6);
    }
    if (key == "buckets") Buckets(v, sub, &f);
  });
  // A field the kind does not take would be silently ignored: say so.
  const std::vector<std::string> takes = DistributionFields(kind_node->value);
  for (std::size_t i = 0; i < n->MapSize() && !takes.empty(); ++i) {
    const std::string& key = n->Key(i)->value;
    if (key == "distribution" || std::find(takes.begin(), takes.end(), key) != takes.end())
      continue;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) continue;
    std::string list;
    for (const auto& t : takes) list += (list.empty() ? "`" : "`, `") + t;
    Error(n->Key(i), path + "." + key,
          kind_node->value + " takes " + list + "`, not `" + key + "`");
    f.ok = false;
  }
  return BuildDist(kind_node->value, kind_node, n, path, &f);
}

void Reader::Buckets(const Node* v, const std::string& sub, DistFields* f) {
  List(v, sub, [&](const Node* b, const std::string& bp) {
    Map(b, bp, {"le", "weight"},
        [&](const std::string& bk, const Node* bv, const std::string& bsub) {
          if (bk == "le") {
            auto d = Duration(bv, bsub, false);
            if (!d) {
              f->ok = false;
              return;
            }
            if (!f->bounds.empty() && *d <= f->bounds.back()) {
              Error(bv, bsub, "bucket bounds must increase");
              f->ok = false;
            }
            f->bounds.push_back(*d);
          } else {
            auto w = Number(bv, bsub, "a weight >= 0", 0, 1e300);
            f->weights.push_back(w.value_or(0));
            if (!w) f->ok = false;
          }
        });
  });
}

std::optional<Distribution> Reader::BuildDist(const std::string& kind, const Node* kind_node,
                                              const Node* n, const std::string& path,
                                              DistFields* fp) {
  DistFields& f = *fp;
  auto need = [&](const auto& field, const char* name) {
    if (!field) {
      Error(n, path, kind + " needs `" + name + "`");
      f.ok = false;
    }
  };
  if (kind == "exponential") {
    need(f.mean, "mean");
    if (f.ok) return Distribution::Exponential(*f.mean);
  } else if (kind == "deterministic" || kind == "constant") {
    need(f.value, "value");
    if (f.ok) return Distribution::Deterministic(*f.value);
  } else if (kind == "lognormal") {
    need(f.median, "median");
    need(f.p99, "p99");
    if (f.ok && *f.p99 <= *f.median) {
      Error(n, path, "lognormal needs p99 > median");
      f.ok = false;
    }
    if (f.ok) return Distribution::LognormalMedianP99(*f.median, *f.p99);
  } else if (kind == "erlang") {
    need(f.mean, "mean");
    need(f.k, "k");
    if (f.ok) return Distribution::Erlang(*f.k, *f.mean);
  } else if (kind == "hyperexponential") {
    need(f.mean, "mean");
    need(f.cs2, "scv");
    if (f.ok) return Distribution::HyperExponentialBalanced(*f.mean, *f.cs2);
  } else if (kind == "empirical") {
    if (f.bounds.empty() || f.bounds.size() != f.weights.size()) {
      Error(n, path, "empirical needs `buckets:` of {le: <duration>, weight: <number>}");
      f.ok = false;
    }
    double total = 0;
    for (double w : f.weights) total += w;
    if (f.ok && total <= 0) {
      Error(n, path, "empirical bucket weights must have a positive sum");
      f.ok = false;
    }
    if (f.ok) return Distribution::Empirical(f.bounds, f.weights);
  } else {
    Error(kind_node, path + ".distribution",
          "expected exponential, deterministic, lognormal, erlang, hyperexponential or empirical, "
          "found '" +
              kind + "'");
  }
  return std::nullopt;
}

std::optional<RequestShape> Reader::Request(const Node* n, const std::string& path,
                                            bool with_weight, const std::vector<std::string>& extra,
                                            RequestShape base) {
  std::vector<std::string> allowed = {"method", "path", "headers"};
  if (with_weight) allowed.push_back("weight");
  allowed.insert(allowed.end(), extra.begin(), extra.end());
  RequestShape r = std::move(base);
  r.loc = LocOf(n, path);
  bool ok = true;
  Map(n, path, allowed, [&](const std::string& key, const Node* v, const std::string& sub) {
    if (key == "method") {
      if (auto s = String(v, sub)) r.method = *s;
    } else if (key == "path") {
      if (auto s = String(v, sub)) {
        if (s->empty() || (*s)[0] != '/') {
          Error(v, sub, "expected a request path starting with '/', found '" + *s + "'");
          ok = false;
        } else {
          r.path = *s;
        }
      }
    } else if (key == "headers") {
      if (v == nullptr || !v->IsMap()) {
        Expected(v, sub, "a map of header: value");
        return;
      }
      for (std::size_t i = 0; i < v->MapSize(); ++i) {
        auto s = String(v->Value(i), sub + "." + v->Key(i)->value);
        if (s) r.headers.emplace_back(v->Key(i)->value, *s);
      }
      std::sort(r.headers.begin(), r.headers.end());
    } else if (key == "weight") {
      auto w = Number(v, sub, "a weight > 0", 1e-300, 1e300);
      if (w)
        r.weight = *w;
      else
        ok = false;
    }
  });
  if (!ok) return std::nullopt;
  return r;
}

std::optional<DownstreamCall> Reader::Call(const Node* n, const std::string& path, bool forward) {
  DownstreamCall c;
  c.loc = LocOf(n, path);
  bool ok = true;
  std::vector<std::string> allowed = {"to",   "port",    "probability", "method",
                                      "path", "headers", "required"};
  if (!forward) allowed.push_back("count");
  Map(n, path, allowed, [&](const std::string& key, const Node* v, const std::string& sub) {
    if (key == "to") {
      auto s = Ref(v, sub, "a Service");
      if (s)
        c.to = *s;
      else
        ok = false;
    } else if (key == "port") {
      c.port = Int(v, sub, "a port number", 1, 65535);
      if (!c.port) ok = false;
    } else if (key == "probability") {
      auto p = Number(v, sub, "a probability", 0, 1);
      if (p)
        c.probability = *p;
      else
        ok = false;
    } else if (key == "count") {
      auto k = Int(v, sub, "a fan-out count", 1, 10000);
      if (k)
        c.count = *k;
      else
        ok = false;
    } else if (key == "required") {
      c.required = Bool(v, sub, true);
    }
  });
  if (n != nullptr && n->IsMap()) {
    // The request shape shares the call's map.
    std::vector<std::string> extra = {"to", "port", "probability", "required", "count"};
    auto r = Request(n, path, false, extra);
    if (r)
      c.request = *r;
    else
      ok = false;
    if (n->Get("to") == nullptr) {
      Error(n, path, "a call needs `to:` (namespace/service)");
      ok = false;
    }
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return c;
}

void Reader::ParseBehaviour(const Node* n, const std::string& path, Behaviour* b, bool is_default,
                            std::string* workload) {
  std::vector<std::string> allowed = {"replicas",   "concurrency", "queueCapacity",
                                      "discipline", "serviceTime", "errorRate"};
  if (!is_default) {
    allowed.insert(allowed.end(), {"workload", "calls", "next"});
  }
  Map(n, path, allowed, [&](const std::string& key, const Node* v, const std::string& sub) {
    if (key == "workload") {
      if (auto s = Ref(v, sub, "a workload")) *workload = *s;
    } else if (key == "replicas") {
      b->replicas = Int(v, sub, "a replica count", 0, 100000);
    } else if (key == "concurrency") {
      b->concurrency = Int(v, sub, "requests served at once per replica", 1, 1000000);
    } else if (key == "queueCapacity") {
      b->queue_capacity =
          Int(v, sub, "a queue capacity (waiting requests per replica)", 0, 100000000);
    } else if (key == "discipline") {
      auto s = String(v, sub);
      if (s && *s == "fifo")
        b->discipline = Discipline::kFifo;
      else if (s && (*s == "ps" || *s == "processor-sharing"))
        b->discipline = Discipline::kProcessorSharing;
      else if (s)
        Error(v, sub, "expected fifo or ps, found '" + *s + "'");
    } else if (key == "serviceTime") {
      b->service_time = Dist(v, sub);
    } else if (key == "errorRate") {
      b->error_rate = Number(v, sub, "an error probability", 0, 1);
    } else if (key == "calls" || key == "next") {
      const bool forward = key == "next";
      (forward ? b->has_next : b->has_calls) = true;
      double total = 0;
      List(v, sub, [&](const Node* c, const std::string& cp) {
        auto call = Call(c, cp, forward);
        if (!call) return;
        total += call->probability;
        (forward ? b->next : b->calls).push_back(std::move(*call));
      });
      if (forward && total > 1 + kWeightTolerance) {
        Error(v, sub,
              "the probabilities of `next` hops are a routing choice and must sum to at most 1");
      }
    }
  });
  if (!is_default && n != nullptr && n->IsMap() && n->Get("workload") == nullptr) {
    Error(n, path, "missing `workload:` (namespace/name of a Deployment, StatefulSet, ...)");
  }
}

std::optional<Balancing> ParseBalancing(Reader& r, const Node* v, const std::string& sub) {
  auto s = r.String(v, sub);
  if (!s) return std::nullopt;
  if (*s == "round-robin") return Balancing::kRoundRobin;
  if (*s == "random") return Balancing::kRandom;
  if (*s == "least-request") return Balancing::kLeastRequest;
  r.Error(v, sub, "expected round-robin, random or least-request, found '" + *s + "'");
  return std::nullopt;
}

// A rate schedule: points {at, rate} in increasing `at` order.
void ParseSchedule(Reader& r, const Node* v, const std::string& sub, TrafficSource* s, bool* ok) {
  r.List(v, sub, [&](const Node* p, const std::string& pp) {
    RatePoint point;
    bool has_at = false, has_rate = false;
    r.Map(p, pp, {"at", "rate"},
          [&](const std::string& k, const Node* pv, const std::string& psub) {
            if (k == "at") {
              if (auto d = r.Duration(pv, psub)) point.at = *d, has_at = true;
            } else if (auto x = r.Number(pv, psub, "a rate in requests per second", 0, 1e9)) {
              point.rate = *x, has_rate = true;
            }
          });
    if (!has_at || !has_rate) {
      if (p != nullptr && p->IsMap()) r.Error(p, pp, "a schedule point needs `at:` and `rate:`");
      *ok = false;
      return;
    }
    if (!s->schedule.empty() && point.at <= s->schedule.back().at) {
      r.Error(p, pp, "schedule points must be in increasing `at` order");
      *ok = false;
      return;
    }
    s->schedule.push_back(point);
  });
}

// `arrival:` poisson | constant | {mmpp: {rates: [a, b], meanDurations: [ta, tb]}} |
// {onOff: {rate: r, meanOn: t1, meanOff: t0}} (an MMPP whose second rate is 0).
bool ParseArrival(Reader& r, const Node* v, const std::string& sub, TrafficSource* s) {
  if (v != nullptr && v->IsScalar()) {
    auto x = r.String(v, sub);
    if (x && *x == "poisson") {
      s->arrival = ArrivalProcess::kPoisson;
    } else if (x && *x == "constant") {
      s->arrival = ArrivalProcess::kConstant;
    } else {
      r.Error(v, sub,
              "expected poisson, constant, {mmpp: ...} or {onOff: ...}, found '" +
                  (x ? *x : std::string()) + "'");
      return false;
    }
    return true;
  }
  bool ok = true;
  int seen = 0;
  auto pair = [&](const Node* list, const std::string& lp, bool durations, double* out) {
    if (list == nullptr || !list->IsSeq() || list->children.size() != 2) {
      r.Expected(list, lp, durations ? "two mean durations [t0, t1]" : "two rates [r0, r1]");
      ok = false;
      return;
    }
    for (int k = 0; k < 2; ++k) {
      const std::string ip = lp + "[" + std::to_string(k) + "]";
      auto x = durations ? r.Duration(list->children[k], ip, false)
                         : r.Number(list->children[k], ip, "a rate in requests per second", 0, 1e9);
      if (x) {
        out[k] = *x;
      } else {
        ok = false;
      }
    }
  };
  r.Map(v, sub, {"mmpp", "onOff"},
        [&](const std::string& key, const Node* m, const std::string& mp) {
          ++seen;
          s->arrival = ArrivalProcess::kMmpp;
          if (key == "mmpp") {
            r.Map(m, mp, {"rates", "meanDurations"},
                  [&](const std::string& k, const Node* x, const std::string& xp) {
                    pair(x, xp, k == "meanDurations",
                         k == "rates" ? s->mmpp_rates : s->mmpp_durations);
                  });
            if (m == nullptr || !m->IsMap() || m->Get("rates") == nullptr ||
                m->Get("meanDurations") == nullptr) {
              r.Error(m, mp, "mmpp needs `rates: [r0, r1]` and `meanDurations: [t0, t1]`");
              ok = false;
            }
            return;
          }
          r.Map(m, mp, {"rate", "meanOn", "meanOff"},
                [&](const std::string& k, const Node* x, const std::string& xp) {
                  std::optional<double> d =
                      k == "rate" ? r.Number(x, xp, "a rate in requests per second", 0, 1e9)
                                  : r.Duration(x, xp, false);
                  if (!d) ok = false;
                  if (d && k == "rate") s->mmpp_rates[0] = *d;
                  if (d && k == "meanOn") s->mmpp_durations[0] = *d;
                  if (d && k == "meanOff") s->mmpp_durations[1] = *d;
                });
          s->mmpp_rates[1] = 0;
          if (m == nullptr || !m->IsMap() || m->Get("rate") == nullptr ||
              m->Get("meanOn") == nullptr || m->Get("meanOff") == nullptr) {
            r.Error(m, mp, "onOff needs `rate:`, `meanOn:` and `meanOff:`");
            ok = false;
          }
        });
  if (seen != 1 && v != nullptr && v->IsMap()) {
    r.Error(v, sub, "give exactly one of `mmpp:` or `onOff:`");
    ok = false;
  }
  return ok;
}

// What a source needs beyond its fields: from, to, and exactly one of rate or schedule.
void CompleteSource(Reader& r, const Node* n, const std::string& path, std::optional<double> rate,
                    TrafficSource* s, bool* ok) {
  if (n->Get("from") == nullptr) {
    r.Error(n, path, "a source needs `from:` (namespace/serviceaccount)");
    *ok = false;
  }
  if (n->Get("to") == nullptr) {
    r.Error(n, path, "a source needs `to:` (namespace/service)");
    *ok = false;
  }
  if (rate && !s->schedule.empty()) {
    r.Error(n, path, "give either `rate:` or `schedule:`, not both");
    *ok = false;
  }
  if (s->arrival == ArrivalProcess::kMmpp) {
    if (rate || !s->schedule.empty()) {
      r.Error(n, path,
              "a bursty (mmpp/onOff) arrival sets its own rates: drop `rate:`/`schedule:`");
      *ok = false;
    }
    rate.reset();
    s->schedule.clear();
  } else if (!rate && s->schedule.empty() && n->Get("rate") == nullptr) {
    r.Error(n, path, "a source needs `rate:` (requests per second) or `schedule:`");
    *ok = false;
  }
  if (rate) s->schedule.push_back({0, *rate});
  if (!s->schedule.empty() && s->schedule.front().at > 0) {
    s->schedule.insert(s->schedule.begin(), {0, 0});
  }
  if (s->mix.empty()) s->mix.push_back(RequestShape{});
  if (s->name.empty()) s->name = s->from + "->" + s->to;
}

void ParseSource(Reader& r, const Node* n, const std::string& path, Scenario* sc) {
  TrafficSource s;
  s.loc = r.LocOf(n, path);
  std::optional<double> rate;
  bool ok = true;
  auto ref = [&](const Node* v, const std::string& sub, const char* what, std::string* out) {
    auto x = r.Ref(v, sub, what);
    if (x) {
      *out = *x;
    } else {
      ok = false;
    }
  };
  r.Map(n, path, {"name", "from", "to", "port", "rate", "arrival", "schedule", "mix"},
        [&](const std::string& key, const Node* v, const std::string& sub) {
          if (key == "name") {
            if (auto x = r.String(v, sub)) s.name = *x;
          } else if (key == "from") {
            ref(v, sub, "a calling identity (ServiceAccount)", &s.from);
          } else if (key == "to") {
            ref(v, sub, "a Service", &s.to);
          } else if (key == "port") {
            s.port = r.Int(v, sub, "a port number", 1, 65535);
          } else if (key == "rate") {
            rate = r.Number(v, sub, "a rate in requests per second", 0, 1e9);
            if (!rate) ok = false;
          } else if (key == "arrival") {
            if (!ParseArrival(r, v, sub, &s)) ok = false;
          } else if (key == "schedule") {
            ParseSchedule(r, v, sub, &s, &ok);
          } else if (key == "mix") {
            r.List(v, sub, [&](const Node* m, const std::string& mp) {
              if (auto shape = r.Request(m, mp, true, {})) s.mix.push_back(std::move(*shape));
            });
          }
        });
  if (n == nullptr || !n->IsMap()) return;
  CompleteSource(r, n, path, rate, &s, &ok);
  if (ok) sc->sources.push_back(std::move(s));
}

void ParseLatencyBuckets(Reader& r, const Node* v, const std::string& sub, CanarySettings* c) {
  if (v != nullptr && v->IsScalar()) {
    c->bucket_layout = v->value;
    if (LatencyBucketsMs(c->bucket_layout).empty()) {
      r.Error(v, sub,
              "expected linkerd, istio, osm or a list of bucket bounds in ms, found '" + v->value +
                  "'");
    }
    return;
  }
  c->bucket_layout = "custom";
  r.List(v, sub, [&](const Node* b, const std::string& bp) {
    auto x = r.Number(b, bp, "a bucket bound in ms", 0, 1e12);
    if (x && !c->buckets_ms.empty() && *x <= c->buckets_ms.back()) {
      r.Error(b, bp, "bucket bounds must increase");
    }
    if (x) c->buckets_ms.push_back(*x);
  });
}

// canary.canary.changes: behaviour changes of the new revision over time.
void ParseChanges(Reader& r, const Node* val, const std::string& ksub, CanarySettings* c) {
  r.List(val, ksub, [&](const Node* ch, const std::string& cp) {
    BehaviourChange change;
    bool has_at = false;
    r.Map(ch, cp, {"at", "errorRate", "serviceTime"},
          [&](const std::string& ck, const Node* cv, const std::string& csub) {
            if (ck == "at") {
              if (auto d = r.Duration(cv, csub)) change.at = *d, has_at = true;
            } else if (ck == "errorRate") {
              change.error_rate = r.Number(cv, csub, "an error probability", 0, 1);
            } else {
              change.service_time = r.Dist(cv, csub);
            }
          });
    if (!has_at && ch != nullptr && ch->IsMap()) r.Error(ch, cp, "a change needs `at:`");
    if (has_at) c->canary_changes.push_back(change);
  });
}

// canary.primary / canary.canary: workload behaviour, plus serviceAccount (primary) or
// changes (canary).
void ParseRevision(Reader& r, bool primary, const Node* v, const std::string& sub,
                   CanarySettings* c) {
  Behaviour& b = primary ? c->primary : c->canary;
  if (v == nullptr || !v->IsMap()) {
    r.Expected(v, sub, "a map of workload behaviour");
    return;
  }
  for (std::size_t i = 0; i < v->MapSize(); ++i) {
    const std::string k = v->Key(i)->value;
    const std::string ksub = sub + "." + k;
    if (primary && k == "serviceAccount") {
      if (auto x = r.String(v->Value(i), ksub)) c->primary_service_account = *x;
    } else if (!primary && k == "changes") {
      ParseChanges(r, v->Value(i), ksub, c);
    }
  }
  std::string unused;
  // Reuse the behaviour parser on a view without the extra keys.
  yaml::Node copy = *v;
  copy.children.clear();
  for (std::size_t i = 0; i < v->MapSize(); ++i) {
    const std::string k = v->Key(i)->value;
    if (k == "serviceAccount" || k == "changes") continue;
    copy.children.push_back(v->Key(i));
    copy.children.push_back(v->Value(i));
  }
  r.ParseBehaviour(&copy, sub, &b, true, &unused);
}

void ParseLoadTester(Reader& r, const Node* v, const std::string& sub, CanarySettings* c) {
  if (v != nullptr && v->IsScalar() && v->Type() == ScalarType::kBool) {
    c->load_tester = r.Bool(v, sub, true);
    return;
  }
  r.Map(v, sub, {"rate", "from", "enabled"},
        [&](const std::string& k, const Node* lv, const std::string& lsub) {
          if (k == "rate") {
            c->load_tester_rate = r.Number(lv, lsub, "a rate in requests per second", 0, 1e9);
          }
          if (k == "from") {
            if (auto x = r.Ref(lv, lsub, "the load tester's identity")) c->load_tester_from = *x;
          }
          if (k == "enabled") c->load_tester = r.Bool(lv, lsub, true);
        });
}

void ParseCanary(Reader& r, const Node* n, const std::string& path, Scenario* sc) {
  CanarySettings c;
  c.loc = r.LocOf(n, path);
  r.Map(n, path,
        {"name", "provider", "detection", "horizon", "latencyBuckets", "primary", "canary",
         "loadTester"},
        [&](const std::string& key, const Node* v, const std::string& sub) {
          if (key == "name") {
            if (auto x = r.Ref(v, sub, "a Canary")) c.name = *x;
          } else if (key == "provider") {
            if (auto x = r.String(v, sub)) {
              c.provider = *x;
              c.provider_given = true;
            }
          } else if (key == "detection") {
            auto x = r.String(v, sub);
            if (x && (*x == "random" || *x == "immediate")) {
              c.random_detection = *x == "random";
            } else if (x) {
              r.Error(v, sub, "expected random or immediate, found '" + *x + "'");
            }
          } else if (key == "horizon") {
            c.horizon = r.Duration(v, sub, false);
          } else if (key == "latencyBuckets") {
            ParseLatencyBuckets(r, v, sub, &c);
          } else if (key == "primary" || key == "canary") {
            ParseRevision(r, key == "primary", v, sub, &c);
          } else if (key == "loadTester") {
            ParseLoadTester(r, v, sub, &c);
          }
        });
  sc->canary = std::move(c);
}

void ParseRoute(Reader& r, const Node* n, const std::string& path, Scenario* sc) {
  RoutePolicy p;
  p.loc = r.LocOf(n, path);
  r.Map(n, path, {"service", "timeout", "retries", "loadBalancing"},
        [&](const std::string& key, const Node* v, const std::string& sub) {
          if (key == "service") {
            if (auto s = r.Ref(v, sub, "a Service")) p.service = *s;
          } else if (key == "timeout") {
            p.timeout = r.Duration(v, sub).value_or(0);
          } else if (key == "loadBalancing") {
            p.balancing = ParseBalancing(r, v, sub);
          } else if (key == "retries") {
            r.Map(v, sub, {"attempts", "perTryTimeout", "retryOn", "backoff", "maxBackoff"},
                  [&](const std::string& k, const Node* rv, const std::string& rsub) {
                    if (k == "attempts") {
                      p.retry.retries = r.Int(rv, rsub, "a number of retries", 0, 100).value_or(0);
                    } else if (k == "perTryTimeout") {
                      p.retry.per_try_timeout = r.Duration(rv, rsub).value_or(0);
                    } else if (k == "backoff") {
                      p.retry.backoff_base = r.Duration(rv, rsub).value_or(p.retry.backoff_base);
                      p.retry.backoff_max = 10 * p.retry.backoff_base;
                    } else if (k == "maxBackoff") {
                      p.retry.backoff_max = r.Duration(rv, rsub).value_or(p.retry.backoff_max);
                    } else if (k == "retryOn") {
                      p.retry.on_5xx = false;
                      r.List(rv, rsub, [&](const Node* e, const std::string& ep) {
                        auto s = r.String(e, ep);
                        if (!s) return;
                        if (*s == "5xx")
                          p.retry.on_5xx = true;
                        else if (*s == "gateway-error")
                          p.retry.on_gateway_error = true;
                        else if (*s == "connect-failure")
                          p.retry.on_connect_failure = true;
                        else
                          r.Error(
                              e, ep,
                              "expected 5xx, gateway-error or connect-failure, found '" + *s + "'");
                      });
                    }
                  });
          }
        });
  if (n != nullptr && n->IsMap() && n->Get("service") == nullptr) {
    r.Error(n, path, "a route needs `service:` (namespace/service)");
    return;
  }
  if (!p.service.empty()) sc->routes.push_back(std::move(p));
}

}  // namespace

std::vector<double> LatencyBucketsMs(const std::string& layout) {
  // linkerd2-proxy response_latency_ms; Envoy's default histogram buckets (Istio's
  // istio_request_duration_milliseconds and OSM's Envoy-based osm_request_duration_ms).
  if (layout == "linkerd") {
    return {1,   2,   3,    4,    5,    10,   20,   30,    40,    50,    100,   200,  300,
            400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000};
  }
  if (layout == "istio" || layout == "osm") {
    return {0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
            2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
  }
  return {};
}

const std::vector<std::string>& SloMetrics() {
  static const std::vector<std::string> kMetrics = {"p99_response_latency", "p90_response_latency",
                                                    "p50_response_latency", "mean_response_latency",
                                                    "success_rate",         "error_rate",
                                                    "requests_per_second",  "success_count",
                                                    "failure_count",        "denied_count"};
  return kMetrics;
}

bool IsLatencyMetric(const std::string& metric) {
  return metric.size() > 17 && metric.compare(metric.size() - 17, 17, "_response_latency") == 0;
}

const char* BalancingName(Balancing b) {
  switch (b) {
    case Balancing::kRoundRobin:
      return "round-robin";
    case Balancing::kRandom:
      return "random";
    case Balancing::kLeastRequest:
      return "least-request";
  }
  return "?";
}

std::optional<double> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || errno != 0 || !std::isfinite(v)) return std::nullopt;
  const std::string unit(end);
  double scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1;
  else if (unit == "ms")
    scale = 1e-3;
  else if (unit == "us" || unit == "µs")
    scale = 1e-6;
  else if (unit == "ns")
    scale = 1e-9;
  else if (unit == "m")
    scale = 60;
  else if (unit == "h")
    scale = 3600;
  else
    return std::nullopt;
  // Range-checked after the unit: 1e308h is no duration (it overflows to infinity).
  const double seconds = v * scale;
  if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxDurationSeconds) return std::nullopt;
  return seconds;
}

namespace {

// apiVersion, kind and metadata; returns `spec` (nullptr when missing, after reporting).
const Node* ParseEnvelope(Reader& r, const Node* root, Scenario* sc) {
  const Node* spec = nullptr;
  r.Map(root, "", {"apiVersion", "kind", "metadata", "spec"},
        [&](const std::string& key, const Node* v, const std::string& sub) {
          if (key == "kind") {
            auto s = r.String(v, sub);
            if (s && *s != "Scenario")
              r.Error(v, sub, "expected kind Scenario, found '" + *s + "'");
          } else if (key == "apiVersion") {
            auto s = r.String(v, sub);
            if (s && *s != "meshproof.dev/v1alpha1") {
              r.Error(v, sub, "expected apiVersion meshproof.dev/v1alpha1, found '" + *s + "'");
            }
          } else if (key == "metadata") {
            r.Map(v, sub, {"name", "namespace", "labels", "annotations"},
                  [&](const std::string& k, const Node* mv, const std::string& msub) {
                    if (k == "name") {
                      if (auto s = r.String(mv, msub)) sc->name = *s;
                    }
                  });
          } else {
            spec = v;
          }
        });
  if (root == nullptr || !root->IsMap()) return nullptr;
  if (root->Get("kind") == nullptr) r.Error(root, "", "missing `kind: Scenario`");
  if (spec == nullptr) r.Error(root, "", "missing `spec:`");
  return spec;
}

// spec.mesh: a path or a list of paths, relative to the scenario's folder.
void ParseMesh(Reader& r, const Node* v, const std::string& sub, const std::string& dir,
               Scenario* sc) {
  auto add = [&](const Node* p, const std::string& pp) {
    if (auto s = r.String(p, pp)) {
      fs::path path(*s);
      sc->mesh.push_back(path.is_absolute() || dir.empty() ? path.string()
                                                           : (fs::path(dir) / path).string());
    }
  };
  if (v != nullptr && v->IsScalar()) {
    add(v, sub);
  } else {
    r.List(v, sub, add);
  }
}

void ParseWorkloads(Reader& r, const Node* v, const std::string& sub, Scenario* sc) {
  std::set<std::string> seen;
  r.List(v, sub, [&](const Node* w, const std::string& wp) {
    WorkloadSpec ws;
    ws.loc = r.LocOf(w, wp);
    r.ParseBehaviour(w, wp, &ws.behaviour, false, &ws.workload);
    if (ws.workload.empty()) return;
    if (!seen.insert(ws.workload).second) {
      r.Error(w, wp, "workload " + ws.workload + " is described twice");
      return;
    }
    sc->workloads.push_back(std::move(ws));
  });
}

// The run settings of spec: profile, namespace, seed, times, network, balancing.
void ParseRunSetting(Reader& r, const std::string& key, const Node* v, const std::string& sub,
                     Scenario* sc) {
  if (key == "profile") {
    auto s = r.String(v, sub);
    if (s && !ParseProfileName(*s)) {
      r.Error(v, sub, "expected " + ProfileNameList() + ", found '" + *s + "'");
    } else if (s) {
      sc->profile = *s;
    }
  } else if (key == "permissive") {
    sc->permissive = r.Bool(v, sub, false);
  } else if (key == "namespace") {
    if (auto s = r.String(v, sub)) sc->default_namespace = *s;
  } else if (key == "seed") {
    if (v != nullptr && v->IsScalar() && v->Type() == ScalarType::kInt && v->value[0] != '-') {
      errno = 0;
      const unsigned long long seed = std::strtoull(v->value.c_str(), nullptr, 0);
      if (errno == ERANGE) {  // strtoull saturates: 2^64 and beyond are no seed
        r.Error(v, sub, "seed " + v->value + " is larger than 18446744073709551615 (2^64 - 1)");
      } else {
        sc->seed = seed;
      }
    } else {
      r.Expected(v, sub, "a non-negative integer seed");
    }
  } else if (key == "duration") {
    if (auto d = r.Duration(v, sub, false)) sc->duration = *d;
  } else if (key == "warmup") {
    if (auto d = r.Duration(v, sub)) sc->warmup = *d;
  } else if (key == "window") {
    if (auto d = r.Duration(v, sub, false)) sc->window = *d;
  } else if (key == "replications") {
    if (auto k = r.Int(v, sub, "a number of replications", 1, 100000)) sc->replications = *k;
  } else if (key == "network") {
    r.Map(v, sub, {"latency"}, [&](const std::string&, const Node* lv, const std::string& lsub) {
      if (auto d = r.Dist(lv, lsub)) sc->network_latency = *d;
    });
  } else if (key == "loadBalancing") {
    if (auto b = ParseBalancing(r, v, sub)) sc->balancing = *b;
  }
}

// The edge of an SLO: {from: NS/SA, to: NS/SERVICE} or {workload: NS/NAME}.
bool ParseSloEdge(Reader& r, const Node* v, const std::string& sub, Slo* slo) {
  bool ok = true;
  r.Map(v, sub, {"from", "to", "workload"},
        [&](const std::string& k, const Node* x, const std::string& xp) {
          auto ref = r.Ref(x, xp,
                           k == "from" ? "a calling identity (ServiceAccount)"
                           : k == "to" ? "a Service"
                                       : "a workload");
          if (!ref) ok = false;
          (k == "from" ? slo->from : k == "to" ? slo->to : slo->workload) = ref.value_or("");
        });
  const bool client = v != nullptr && v->IsMap() && (v->Get("from") || v->Get("to"));
  const bool server = v != nullptr && v->IsMap() && v->Get("workload");
  if (v != nullptr && v->IsMap() &&
      (client == server || (client && (!v->Get("from") || !v->Get("to"))))) {
    r.Error(v, sub,
            "an SLO edge is {from: NS/SERVICEACCOUNT, to: NS/SERVICE} (what the caller sees) or "
            "{workload: NS/NAME} (the server side, all callers)");
    ok = false;
  }
  return ok;
}

std::optional<Slo> ParseSlo(Reader& r, const Node* n, const std::string& path) {
  Slo slo;
  slo.loc = r.LocOf(n, path);
  bool ok = true;
  const Node* bound = nullptr;
  std::string bound_path;
  r.Map(n, path, {"name", "edge", "metric", "max", "min"},
        [&](const std::string& key, const Node* v, const std::string& sub) {
          if (key == "name") {
            if (auto x = r.String(v, sub)) slo.name = *x;
          } else if (key == "edge") {
            ok = ParseSloEdge(r, v, sub, &slo) && ok;
          } else if (key == "metric") {
            auto x = r.String(v, sub);
            const auto& all = SloMetrics();
            if (x && std::find(all.begin(), all.end(), *x) == all.end()) {
              std::string list;
              for (const auto& m : all) list += (list.empty() ? "" : ", ") + m;
              r.Error(v, sub, "expected one of " + list + ", found '" + *x + "'");
              ok = false;
            } else if (x) {
              slo.metric = *x;
            }
          } else {
            if (bound != nullptr) {
              r.Error(v, sub, "give either `max:` or `min:`, not both");
              ok = false;
            }
            slo.is_max = key == "max";
            bound = v;
            bound_path = sub;
          }
        });
  if (n == nullptr || !n->IsMap()) return std::nullopt;
  for (const char* need : {"name", "edge", "metric"}) {
    if (n->Get(need) == nullptr) {
      r.Error(n, path, std::string("an SLO needs `") + need + ":`");
      ok = false;
    }
  }
  if (bound == nullptr) {
    r.Error(n, path, "an SLO needs `max:` or `min:` (its bound)");
    ok = false;
  } else if (!slo.metric.empty()) {
    std::optional<double> b;
    if (IsLatencyMetric(slo.metric)) {
      b = r.Duration(bound, bound_path, false);
    } else if (slo.metric == "success_rate" || slo.metric == "error_rate") {
      b = r.Number(bound, bound_path, "a fraction", 0, 1);
    } else {
      b = r.Number(bound, bound_path, "a number >= 0", 0, 1e300);
    }
    if (b) slo.bound = *b;
    if (!b) ok = false;
  }
  if (!ok) return std::nullopt;
  return slo;
}

void ParseSpec(Reader& r, const Node* spec, const std::string& dir, Scenario* sc) {
  r.Map(spec, "spec",
        {"mesh", "profile", "permissive", "namespace", "seed", "duration", "warmup", "window",
         "replications", "network", "loadBalancing", "defaults", "sources", "workloads", "routes",
         "canary", "slos"},
        [&](const std::string& key, const Node* v, const std::string& sub) {
          if (key == "mesh") {
            ParseMesh(r, v, sub, dir, sc);
          } else if (key == "defaults") {
            std::string unused;
            r.ParseBehaviour(v, sub, &sc->defaults, true, &unused);
          } else if (key == "sources") {
            r.List(v, sub,
                   [&](const Node* s, const std::string& sp) { ParseSource(r, s, sp, sc); });
          } else if (key == "workloads") {
            ParseWorkloads(r, v, sub, sc);
          } else if (key == "canary") {
            ParseCanary(r, v, sub, sc);
          } else if (key == "routes") {
            r.List(v, sub, [&](const Node* p, const std::string& pp) { ParseRoute(r, p, pp, sc); });
          } else if (key == "slos") {
            std::set<std::string> names;
            r.List(v, sub, [&](const Node* p, const std::string& pp) {
              if (auto slo = ParseSlo(r, p, pp)) {
                if (!names.insert(slo->name).second) {
                  r.Error(p, pp, "SLO '" + slo->name + "' is defined twice");
                } else {
                  sc->slos.push_back(std::move(*slo));
                }
              }
            });
          } else {
            ParseRunSetting(r, key, v, sub, sc);
          }
        });
  if (!spec->IsMap() || spec->Get("mesh") == nullptr) {
    r.Error(spec, "spec", "missing `mesh:` (the manifest files or folders this scenario runs on)");
  }
  if (spec->IsMap() && spec->Get("sources") == nullptr && spec->Get("canary") == nullptr) {
    r.Error(spec, "spec", "missing `sources:` (at least one traffic source)");
  }
  if (sc->warmup >= sc->duration) {
    r.Error(spec->Get("warmup") != nullptr ? spec->Get("warmup") : spec, "spec.warmup",
            "the warm-up must be shorter than the duration");
  }
}

}  // namespace

Scenario ParseScenario(const std::string& text, FileId file, const std::string& dir,
                       Diagnostics* diags) {
  return ParseScenario(text, file, dir, {}, {}, diags);
}

Scenario ParseScenario(const std::string& text, FileId file, const std::string& dir,
                       const std::vector<Override>& overrides,
                       const std::vector<FileId>& override_files, Diagnostics* diags) {
  Scenario sc;
  yaml::ParsedFile parsed;
  Diagnostics syntax;
  yaml::ParseFile(text, file, yaml::ParseLimits{}, &parsed, &syntax);
  for (Diagnostic d : syntax.items()) {
    d.code = DiagCode::MP6001;
    d.message = "not valid YAML: " + d.message;
    diags->Add(std::move(d));
  }
  NodeOrigins origins;
  Reader r(file, diags, &origins);
  if (!syntax.empty()) return sc;
  if (parsed.documents.size() != 1 || parsed.documents[0].root == nullptr) {
    r.Error(nullptr, "", "a scenario file holds exactly one YAML document (kind: Scenario)");
    return sc;
  }
  const Node* spec = ParseEnvelope(r, parsed.documents[0].root, &sc);
  std::vector<std::unique_ptr<yaml::ParsedFile>> values;
  if (spec != nullptr && !overrides.empty()) {
    spec = ApplyOverrides(spec, overrides, override_files, &parsed.arena, &values, &origins, diags);
  }
  if (spec != nullptr) ParseSpec(r, spec, dir, &sc);
  return sc;
}

bool LoadedScenario::HasErrors() const {
  if (!failures.empty()) return true;
  for (const Diagnostic& d : diagnostics.items()) {
    if (d.severity == Severity::kError) return true;
  }
  return false;
}

std::vector<std::string> LoadedScenario::FailureMessages() const {
  std::vector<std::string> out;
  for (const Status& s : failures) out.push_back(s.message());
  for (const Status& s : mesh.failures) out.push_back(s.message());
  return out;
}

LoadedScenario LoadScenarioText(const std::string& text, const std::string& name,
                                const std::string& dir, const std::vector<Override>& overrides) {
  LoadedScenario out;
  std::string normalized = text;
  NormalizeLoneCarriageReturns(&normalized);
  const FileId file = out.scenario_source.Add(name, normalized);
  std::vector<FileId> files;
  for (const Override& o : overrides) files.push_back(out.scenario_source.Add(o.origin, o.value));
  out.scenario = ParseScenario(normalized, file, dir, overrides, files, &out.diagnostics);
  out.scenario.file = name;
  if (out.scenario.mesh.empty()) return out;
  LoadOptions options;
  options.default_namespace = out.scenario.default_namespace;
  out.mesh = LoadPaths(out.scenario.mesh, options);
  return out;
}

LoadedScenario LoadScenario(const std::string& path, const std::vector<Override>& overrides) {
  // A scenario is small: a device or an endless FIFO stops at the cap, binary data at once.
  CappedRead r = ReadCapped(path, kMaxSmallInputBytes, "scenario file");
  if (auto problem = CappedReadProblem(r, path, kMaxSmallInputBytes)) {
    LoadedScenario out;
    out.scenario.file = path;
    out.failures.push_back(r.status.ok() ? Status::InvalidArgument(*problem) : std::move(r.status));
    return out;
  }
  const std::string dir = fs::path(path).parent_path().string();
  return LoadScenarioText(r.text, path, dir.empty() ? "." : dir, overrides);
}

}  // namespace meshproof::sim
