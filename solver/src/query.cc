#include "meshproof/solver/query.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "meshproof/engine/names.h"
#include "meshproof/engine/numeric.h"
#include "meshproof/engine/text.h"
#include "meshproof/solver/intents.h"
#include "meshproof/solver/route_solver.h"

namespace meshproof {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::pair<std::string, std::string> SplitRef(const std::string& ref) {
  auto n = NamespacedName::Parse(ref, "");
  if (!n) return {"", ref};
  return {n->namespace_, n->name};
}

std::string ServiceList(const RouteGraph& g, const std::string& ns) {
  std::string out;
  int shown = 0;
  for (const ServiceNode& s : g.services()) {
    if (s.namespace_ != ns) continue;
    if (++shown > 8) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + s.name;
  }
  return out.empty() ? "" : " (Services in " + ns + ": " + out + ")";
}

class Querier {
 public:
  Querier(const RouteGraph& g, const QueryRequest& q, unsigned timeout_ms, SolverBudget* budget)
      : g_(g), m_(g.model()), q_(q), solver_(timeout_ms, budget) {}

  QueryAnswer Run() {
    QueryAnswer a;
    needs_because_ = !q_.method || !q_.path;  // open fields: the witness needs to know the routes
    a.witness.source = q_.from;
    a.witness.destination = q_.to.empty() ? q_.to_identity : q_.to;
    a.witness.method = q_.method.value_or("");
    a.witness.path = q_.path.value_or("");
    a.witness.headers = q_.headers;
    auto [sns, sname] = SplitRef(q_.from);
    const IdentityId src = g_.FindIdentity(sns, sname);
    std::vector<Target> targets;
    const bool named = q_.to.empty() ? IdentityTargets(&a, &targets) : ServiceTargets(&a, &targets);
    if (!named) return a;
    for (const Target& t : targets) a.ports.push_back(AnswerPort(src, t));
    Conclude(&a);
    return a;
  }

 private:
  // One port the request may land on, with the receiving identities (and their pod port)
  // and the share of requests each receives.
  struct Target {
    int port;
    PortProtocol protocol;
    std::vector<std::pair<IdentityId, int>> receivers;
    std::vector<double> shares;
  };

  // --to: the Service's ports, each resolved through splits and endpoints. False when the
  // Service does not exist (the answer then carries the problem).
  bool ServiceTargets(QueryAnswer* a, std::vector<Target>* targets) const {
    auto [ns, name] = SplitRef(q_.to);
    const ServiceId sid = g_.FindService(ns, name);
    if (sid == kNoId) {
      a->problem = "Service " + q_.to + " does not exist";
      return false;
    }
    for (const auto& p : g_.services()[sid].ports) {
      if (q_.port && *q_.port != p.port) continue;
      Target t{p.port, p.protocol, {}, {}};
      for (const Receiver& r : ResolveRequest(g_, sid, p.port)) {
        t.receivers.emplace_back(r.identity, r.target_port);
        t.shares.push_back(r.share);
      }
      targets->push_back(std::move(t));
    }
    if (targets->empty()) {
      a->problem =
          q_.port ? q_.to + " has no port " + std::to_string(*q_.port) : q_.to + " has no ports";
    }
    return true;
  }

  // The pod ports identity `id` serves: Service target ports first (with their protocol),
  // then container ports no Service names (HTTP).
  std::set<std::pair<int, PortProtocol>> PortsOf(IdentityId id) const {
    std::set<std::pair<int, PortProtocol>> ports;
    for (ServiceId sid : g_.ServicesOf(id)) {
      const ServiceNode& s = g_.services()[sid];
      for (const auto& p : s.ports) {
        for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
          if (s.endpoints[i].identity == id && p.target_ports[i]) {
            ports.insert({p.target_ports[i], p.protocol});
          }
        }
      }
    }
    std::set<int> seen;
    for (const auto& p : ports) seen.insert(p.first);
    for (std::size_t w : g_.identities()[id].workloads) {
      for (const auto& cp : m_.workloads[w].ports) {
        if (!seen.count(cp.port)) ports.insert({cp.port, PortProtocol::kHttp});
      }
    }
    return ports;
  }

  // --to-identity: the identity's pod ports (or --port). False when it does not exist.
  bool IdentityTargets(QueryAnswer* a, std::vector<Target>* targets) const {
    auto [ns, name] = SplitRef(q_.to_identity);
    const IdentityId id = g_.FindIdentity(ns, name);
    if (id == kNoId) {
      a->problem = "identity " + q_.to_identity + " runs no workload and no TrafficTarget names it";
      return false;
    }
    std::set<std::pair<int, PortProtocol>> ports = PortsOf(id);
    if (q_.port) {
      std::set<std::pair<int, PortProtocol>> only;
      for (const auto& p : ports) {
        if (p.first == *q_.port) only.insert(p);
      }
      if (only.empty()) only.insert({*q_.port, PortProtocol::kHttp});
      ports = only;
    }
    for (auto [port, proto] : ports) targets->push_back(Target{port, proto, {{id, port}}, {1.0}});
    if (targets->empty()) a->problem = q_.to_identity + " exposes no port; give --port";
    return true;
  }

  // What admits the request on one receiver: (TrafficTarget, route) pairs; SIZE_MAX as
  // the target when the profile does not enforce access.
  std::vector<std::pair<std::size_t, std::string>> Admitted(IdentityId src, IdentityId dest,
                                                            int pod_port, PortProtocol protocol) {
    PortAccess acc =
        (src != kNoId && pod_port) ? g_.Access(src, dest, pod_port, protocol) : PortAccess{};
    if (src == kNoId && !g_.profile().EnforcesAccess() && pod_port) {
      acc.level = PortAccess::Level::kAll;
    }
    std::vector<std::pair<std::size_t, std::string>> admitted;
    if (acc.level == PortAccess::Level::kAll) {
      for (std::size_t tt : acc.targets) admitted.emplace_back(tt, "all");
      if (acc.targets.empty()) admitted.emplace_back(SIZE_MAX, "all");
    } else if (acc.level == PortAccess::Level::kSomeRoutes) {
      for (const GrantedMatch& gm : acc.matches) {
        const HTTPRouteGroup& grp = m_.http_route_groups[gm.group];
        const HttpMatch& hm = grp.matches[gm.match];
        if (!Admits(hm)) continue;
        if (!OpenFieldsSatisfiable(hm)) continue;
        if (!witness_match_) witness_match_ = gm;
        for (std::size_t tt : TargetsGranting(dest, gm)) {
          admitted.emplace_back(tt, grp.meta.name + "/" + hm.name);
        }
      }
    }
    return admitted;
  }

  // The verdict on one port: the share of requests some receiver admits, and why.
  QueryAnswer::PerPort AnswerPort(IdentityId src, const Target& t) {
    QueryAnswer::PerPort pp;
    pp.port = t.port;
    pp.protocol = t.protocol;
    double allowed = 0, total = 0;
    std::set<std::tuple<std::string, std::string, std::string>> because;
    for (std::size_t i = 0; i < t.receivers.size(); ++i) {
      auto [dest, pod_port] = t.receivers[i];
      total += t.shares[i];
      const auto admitted = Admitted(src, dest, pod_port, t.protocol);
      if (admitted.empty()) {
        if (q_.explain) pp.lacks.push_back(Explain(src, dest, pod_port, t.protocol));
        continue;
      }
      allowed += t.shares[i];
      if (!q_.explain && !needs_because_) continue;
      for (const auto& [tt, route] : admitted) {
        std::string name =
            tt == SIZE_MAX
                ? (g_.profile().permissive
                       ? std::string("(permissive mode: access not enforced)")
                       : std::string("(access not enforced by ") + g_.profile().name + ")")
                : m_.traffic_targets[tt].meta.namespace_ + "/" + m_.traffic_targets[tt].meta.name;
        because.insert({g_.identities()[dest].key(), name, route});
      }
    }
    for (const auto& [id, tt, route] : because) {
      // Merge the routes of one TrafficTarget on one identity into one line.
      if (!pp.because.empty() && pp.because.back().identity == id &&
          pp.because.back().traffic_target == tt) {
        pp.because.back().routes += ", " + route;
      } else {
        pp.because.push_back({id, tt, route});
      }
    }
    if (total <= 0 || allowed <= 0) {
      pp.verdict = Verdict::kDeny;
      pp.denied_share = 1;
    } else if (allowed >= total - kShareTolerance) {
      pp.verdict = Verdict::kAllow;
      pp.denied_share = 0;
    } else {
      pp.verdict = Verdict::kPartial;
      pp.denied_share = 1 - allowed / total;
    }
    return pp;
  }

  // The best port answers ("some request of that shape"), with its witness.
  void Conclude(QueryAnswer* a) {
    const QueryAnswer::PerPort* best = nullptr;
    for (const auto& p : a->ports) {
      if (best == nullptr || p.verdict > best->verdict ||
          (p.verdict == best->verdict && p.denied_share < best->denied_share)) {
        best = &p;
      }
    }
    if (best != nullptr) {
      a->verdict = best->verdict;
      a->denied_share = best->denied_share;
      a->witness.port = best->port;
      if (best->protocol == PortProtocol::kHttp) {
        if (a->verdict != Verdict::kDeny) FillWitness(*best, &a->witness);
      } else {  // a TCP/UDP request has no method, path or headers
        a->witness.method.clear();
        a->witness.path.clear();
        a->witness.headers.clear();
      }
    }
    a->unknown = unknown_ && a->verdict != Verdict::kAllow;
  }

  bool Admits(const HttpMatch& hm) const {
    if (!HeaderNamesValid(hm)) return false;  // MP0002: no request carries such a header
    if (q_.exact_headers) {
      // Every header the match requires must be among the given ones.
      for (const HeaderMatch& h : hm.headers) {
        bool present = std::any_of(q_.headers.begin(), q_.headers.end(), [&](const auto& kv) {
          return Lower(kv.first) == Lower(h.name);
        });
        if (!present) return false;
      }
    }
    // Open fields admit anything; headers the query does not give are open unless exact.
    std::vector<std::pair<std::string, std::string>> headers = q_.headers;
    if (!q_.exact_headers) {
      for (const HeaderMatch& h : hm.headers) {
        bool given = std::any_of(headers.begin(), headers.end(),
                                 [&](const auto& kv) { return Lower(kv.first) == Lower(h.name); });
        if (!given) return MatchAdmitsOpenHeader(hm, h.name);
      }
    }
    return MatchAdmits(hm, g_.profile(), q_.method.value_or(""), q_.path.value_or(""), headers);
  }
  // With a header left open, the match admits the request when the rest of it fits.
  bool MatchAdmitsOpenHeader(const HttpMatch& hm, const std::string& open) const {
    HttpMatch copy = hm;
    copy.headers.erase(
        std::remove_if(copy.headers.begin(), copy.headers.end(),
                       [&](const HeaderMatch& h) { return Lower(h.name) == Lower(open); }),
        copy.headers.end());
    return Admits(copy);
  }

  std::vector<std::size_t> TargetsGranting(IdentityId dest, const GrantedMatch& gm) const {
    std::vector<std::size_t> out;
    for (GrantId gid : g_.GrantsTo(dest)) {
      const Grant& gr = g_.grants()[gid];
      for (const GrantedMatch& x : gr.http_matches) {
        if (x.group == gm.group && x.match == gm.match) {
          out.push_back(gr.target);
          break;
        }
      }
    }
    return out;
  }

  // For a match that admits the request's given fields: can its open fields be filled?
  // (An open path needs a request path in the match's path language.)
  bool OpenFieldsSatisfiable(const HttpMatch& hm) {
    if (q_.path || !hm.path_regex) return true;
    auto it = path_cache_.find(*hm.path_regex);
    if (it == path_cache_.end()) {
      it = path_cache_
               .emplace(*hm.path_regex,
                        solver_.Example(*hm.path_regex, g_.profile().path_anchoring, "/"))
               .first;
    }
    if (it->second.status == SolveStatus::kUnknown) unknown_ = true;
    return it->second.status == SolveStatus::kSat;
  }

  // The witness: the request's given fields, and for open ones values the admitting match
  // accepts (found by Z3), re-checked as a whole with RE2.
  void FillWitness(const QueryAnswer::PerPort& p, Witness* w) {
    const bool all = std::all_of(p.because.begin(), p.because.end(),
                                 [](const auto& b) { return b.routes == "all"; });
    if (all || !witness_match_) {
      if (w->method.empty()) w->method = "GET";
      if (w->path.empty()) w->path = "/";
      return;
    }
    const HttpMatch& hm =
        m_.http_route_groups[witness_match_->group].matches[witness_match_->match];
    const Profile& prof = g_.profile();
    if (w->method.empty()) {
      w->method = hm.methods.empty() || hm.methods[0] == "*" ? "GET" : hm.methods[0];
    }
    if (w->path.empty()) {
      w->path = "/";
      if (hm.path_regex) {
        auto it = path_cache_.find(*hm.path_regex);
        if (it != path_cache_.end() && it->second.status == SolveStatus::kSat)
          w->path = it->second.witness;
      }
    }
    for (const HeaderMatch& h : hm.headers) {
      bool given = std::any_of(w->headers.begin(), w->headers.end(),
                               [&](const auto& kv) { return Lower(kv.first) == Lower(h.name); });
      if (given) continue;
      StringAnswer v = solver_.Example(h.value, prof.header_anchoring);
      if (v.status == SolveStatus::kSat) w->headers.emplace_back(h.name, v.witness);
    }
    std::sort(w->headers.begin(), w->headers.end());
    if (!MatchAdmits(hm, prof, w->method, w->path, w->headers)) {
      // Never print a request that the concrete evaluation refutes.
      unknown_ = true;
      w->path.clear();
    }
  }

  // The blocked-path explanation for one receiver: the nearest grants and what each lacks.
  std::string Explain(IdentityId src, IdentityId dest, int pod_port, PortProtocol proto) const {
    const std::string d = g_.identities()[dest].key();
    if (pod_port == 0) return "the target port does not resolve on " + d + "'s pods";
    std::vector<std::string> out;
    for (GrantId gid : g_.GrantsTo(dest)) {
      const Grant& gr = g_.grants()[gid];
      const TrafficTarget& t = m_.traffic_targets[gr.target];
      const std::string name = "TrafficTarget " + t.meta.namespace_ + "/" + t.meta.name;
      if (!gr.applied) {
        out.push_back(name + " is ignored by " + g_.profile().name + ": " + gr.ignored_because);
        continue;
      }
      if (src == kNoId ||
          std::find(gr.sources.begin(), gr.sources.end(), src) == gr.sources.end()) {
        std::string srcs;
        for (IdentityId s : gr.sources)
          srcs += (srcs.empty() ? "" : ", ") + g_.identities()[s].key();
        out.push_back(name + " allows other sources (" + (srcs.empty() ? "none" : srcs) + ")");
        continue;
      }
      if (gr.port && *gr.port != pod_port) {
        out.push_back(name + " allows port " + std::to_string(*gr.port) + ", not " +
                      std::to_string(pod_port));
        continue;
      }
      PortAccess acc = g_.Access(src, dest, pod_port, proto);
      if (acc.level == PortAccess::Level::kNone) {
        if (gr.has_tcp_rules && !gr.tcp_all_ports && proto != PortProtocol::kUdp) {
          std::string ports;
          for (int p : gr.tcp_ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
          out.push_back(name + " opens TCP ports " + (ports.empty() ? "none" : ports) + ", not " +
                        std::to_string(pod_port));
        } else if (gr.has_http_rules && gr.http_matches.empty()) {
          out.push_back(
              name +
              " grants no HTTP match (missing route object, or match names it does not have)");
        } else {
          out.push_back(name + " grants nothing on this " + std::string(PortProtocolName(proto)) +
                        " port");
        }
        continue;
      }
      std::vector<std::string> lacks;
      for (const GrantedMatch& gm : gr.http_matches) {
        const HttpMatch& hm = m_.http_route_groups[gm.group].matches[gm.match];
        lacks.push_back(hm.name + ": " + WhatLacks(hm));
      }
      std::string l;
      for (const auto& x : lacks) l += (l.empty() ? "" : ", ") + x;
      out.push_back(name + " allows only matches that do not admit this request (" + l + ")");
    }
    if (out.empty()) return "no TrafficTarget names " + d + " as destination";
    std::string s;
    for (const auto& o : out) s += (s.empty() ? "" : "; ") + o;
    return s;
  }

  std::string WhatLacks(const HttpMatch& hm) const {
    if (q_.method && !hm.methods.empty() &&
        std::none_of(hm.methods.begin(), hm.methods.end(),
                     [&](const std::string& m) { return m == "*" || m == *q_.method; })) {
      std::string ms;
      for (const auto& m : hm.methods) ms += (ms.empty() ? "" : "|") + m;
      return "method " + *q_.method + " not allowed (" + ms + ")";
    }
    if (q_.path && hm.path_regex &&
        !Re2Admits(*hm.path_regex, *q_.path, g_.profile().path_anchoring)) {
      return "path " + *q_.path + " not matched by " + *hm.path_regex;
    }
    for (const HeaderMatch& h : hm.headers) {
      bool given = std::any_of(q_.headers.begin(), q_.headers.end(),
                               [&](const auto& kv) { return Lower(kv.first) == Lower(h.name); });
      if (!given && q_.exact_headers) return "header " + h.name + " missing";
      if (given) return "header " + h.name + " does not match " + h.value;
    }
    return "does not match";
  }

  const RouteGraph& g_;
  const MeshModel& m_;
  const QueryRequest& q_;
  RouteSolver solver_;
  std::map<std::string, StringAnswer> path_cache_;
  std::optional<GrantedMatch> witness_match_;
  bool unknown_ = false;
  bool needs_because_ = false;  // FillWitness reads `because` to tell "all" routes apart
};

}  // namespace

bool HeaderNamesValid(const HttpMatch& match) {
  return std::all_of(match.headers.begin(), match.headers.end(),
                     [](const HeaderMatch& h) { return IsHttpToken(h.name); });
}

bool MatchAdmits(const HttpMatch& match, const Profile& profile, const std::string& method,
                 const std::string& path,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
  if (!HeaderNamesValid(match)) return false;
  if (!match.methods.empty() && !method.empty()) {
    bool ok = std::any_of(match.methods.begin(), match.methods.end(),
                          [&](const std::string& m) { return m == "*" || m == method; });
    if (!ok) return false;
  }
  if (match.path_regex && !path.empty() &&
      !Re2Admits(*match.path_regex, path, profile.path_anchoring)) {
    return false;
  }
  for (const HeaderMatch& h : match.headers) {
    bool ok = false;
    for (const auto& [name, value] : headers) {
      if (Lower(name) == Lower(h.name) && Re2Admits(h.value, value, profile.header_anchoring))
        ok = true;
    }
    if (!ok) return false;
  }
  return true;
}

QueryAnswer Query(const RouteGraph& graph, const QueryRequest& request, unsigned timeout_ms,
                  SolverBudget* budget) {
  return Querier(graph, request, timeout_ms, budget).Run();
}

bool IdentityExists(const RouteGraph& graph, const std::string& ns, const std::string& name) {
  if (graph.FindIdentity(ns, name) != kNoId) return true;
  if (name != "default") return false;
  bool known = false;
  graph.model().ForEachMeta([&](const ObjectMeta& m) {
    if (m.namespace_ == ns || (m.kind == "Namespace" && m.name == ns)) known = true;
  });
  return known;
}

std::string NameProblem(const RouteGraph& graph, const QueryRequest& q) {
  auto identity = [&](const std::string& what, const std::string& text) -> std::string {
    auto n = NamespacedName::Parse(text, "");
    if (!n) return what + " '" + text + "' is not NAMESPACE/NAME";
    if (IdentityExists(graph, n->namespace_, n->name)) return "";
    return what + " " + n->str() +
           " does not exist: no ServiceAccount declares it, no workload runs as it and no "
           "TrafficTarget names it";
  };
  if (std::string p = identity("identity", q.from); !p.empty()) return p;
  if (!q.to_identity.empty()) return identity("identity", q.to_identity);
  auto n = NamespacedName::Parse(q.to, "");
  if (!n) return "Service '" + q.to + "' is not NAMESPACE/NAME";
  const ServiceId sid = graph.FindService(n->namespace_, n->name);
  if (sid == kNoId) {
    return "Service " + n->str() + " does not exist" + ServiceList(graph, n->namespace_);
  }
  if (q.port) {
    std::string ports;
    for (const auto& p : graph.services()[sid].ports) {
      if (p.port == *q.port) return "";
      ports += (ports.empty() ? "" : ", ") + std::to_string(p.port);
    }
    return "Service " + n->str() + " has no port " + std::to_string(*q.port) +
           (ports.empty() ? " (it has none)" : " (its ports: " + ports + ")");
  }
  return "";
}

}  // namespace meshproof
