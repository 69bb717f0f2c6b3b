#include "meshproof/solver/checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "route_checks.h"

#include "meshproof/engine/names.h"
#include "meshproof/engine/numeric.h"
#include "meshproof/solver/reach.h"

namespace meshproof {
namespace {

class Checker {
 public:
  Checker(const RouteGraph& g, const CheckOptions& o, Diagnostics* out)
      : g_(g), m_(g.model()), p_(g.profile()), o_(o), out_(out) {
    for (const auto& hrg : m_.http_route_groups)
      groups_[{hrg.meta.namespace_, hrg.meta.name}] = &hrg;
    for (const auto& r : m_.l4_routes) l4_[{r.meta.namespace_, r.meta.name, r.protocol}] = &r;
  }

  void Run() {
    const std::size_t first = out_->size();
    CheckServedVersions();
    for (std::size_t i = 0; i < m_.traffic_targets.size(); ++i) CheckTarget(i);
    for (const auto& hrg : m_.http_route_groups) CheckRouteGroup(hrg);
    CheckL4Ports();
    CheckSplits();
    if (p_.EnforcesAccess()) {
      CheckWorkloadsWithoutPolicy();
      CheckServiceReachability();
    }
    if (o_.portability) CheckPortability();
    if (o_.route_checks) RunRouteChecks(g_, o_, out_);
    if (p_.permissive) AdjustForPermissiveMode(first);
  }

 private:
  // Permissive mode ignores every TrafficTarget (smi-semantics.md 7.2): a broken or
  // dangling one changes nothing today and becomes a problem the day policy is enforced,
  // so its errors are warnings that say so, and an over-broad grant (MP1008) means
  // nothing when everything is allowed anyway. Reachability findings (MP1009-MP1011,
  // MP3011) are not produced at all under permissive mode.
  void AdjustForPermissiveMode(std::size_t first) {
    auto& items = out_->mutable_items();
    items.erase(std::remove_if(items.begin() + static_cast<long>(first), items.end(),
                               [](const Diagnostic& d) { return d.code == DiagCode::MP1008; }),
                items.end());
    for (std::size_t i = first; i < items.size(); ++i) {
      Diagnostic& d = items[i];
      if (std::string_view(InfoOf(d.code).id).substr(0, 3) != "MP1") continue;
      if (d.severity == Severity::kError) d.severity = Severity::kWarning;
      d.message += " (permissive mode: TrafficTargets are not enforced until it is off)";
    }
  }

  Diagnostic& Report(DiagCode code, const ObjectMeta& meta, const std::string& path,
                     std::string message) {
    return out_->Report(code, path.empty() ? meta.loc : meta.LocOf(path), std::move(message),
                        meta.ref());
  }
  std::string Key(IdentityId id) const { return g_.identities()[id].key(); }
  std::string SvcKey(ServiceId id) const { return g_.services()[id].key(); }
  std::string RulesPath(const TrafficTarget& t) const {
    return t.meta.smi_version == 1 ? "specs" : "spec.rules";
  }
  std::string BasePath(const TrafficTarget& t) const {
    return t.meta.smi_version == 1 ? "" : "spec.";
  }

  // --- TrafficTargets: MP1001-MP1007 ---------------------------------------------------

  void CheckTarget(std::size_t index) {
    const TrafficTarget& t = m_.traffic_targets[index];
    const std::string base = BasePath(t);
    // MP1001 / MP1002: references.
    for (std::size_t r = 0; r < t.rules.size(); ++r) {
      const RouteRef& rule = t.rules[r];
      const std::string rp = RulesPath(t) + "[" + std::to_string(r) + "]";
      if (rule.kind == "HTTPRouteGroup") {
        const HTTPRouteGroup* group = FindGroup(t.meta.namespace_, rule.name);
        if (group == nullptr) {
          Report(DiagCode::MP1001, t.meta, rp + ".name",
                 "rule references HTTPRouteGroup " + t.meta.namespace_ + "/" + rule.name +
                     ", which does not exist; the rule grants nothing" + OtherKindHint(t, rule));
          continue;
        }
        if (!rule.matches) continue;
        for (std::size_t k = 0; k < rule.matches->size(); ++k) {
          const std::string& name = (*rule.matches)[k];
          bool found = std::any_of(group->matches.begin(), group->matches.end(),
                                   [&](const HttpMatch& hm) { return hm.name == name; });
          if (!found) {
            Diagnostic& d =
                Report(DiagCode::MP1002, t.meta, rp + ".matches[" + std::to_string(k) + "]",
                       "rule names match '" + name + "', which HTTPRouteGroup " + group->meta.name +
                           " does not have (it has: " + MatchNames(*group) +
                           "); that name grants nothing");
            d.related.push_back(group->meta.ref());
          }
        }
      } else if (rule.kind == "TCPRoute" || rule.kind == "UDPRoute") {
        const L4Protocol proto = rule.kind == "UDPRoute" ? L4Protocol::kUdp : L4Protocol::kTcp;
        if (FindL4(t.meta.namespace_, rule.name, proto) == nullptr) {
          Report(DiagCode::MP1001, t.meta, rp + ".name",
                 "rule references " + rule.kind + " " + t.meta.namespace_ + "/" + rule.name +
                     ", which does not exist; the rule grants nothing" + OtherKindHint(t, rule));
        }
      }
    }
    // MP1007: subject kinds.
    if (!t.destination.kind.empty() && t.destination.kind != "ServiceAccount") {
      Report(DiagCode::MP1007, t.meta, base + "destination.kind",
             "destination kind " + t.destination.kind +
                 " is not supported (identities are ServiceAccounts); the TrafficTarget grants "
                 "nothing");
    }
    for (std::size_t s = 0; s < t.sources.size(); ++s) {
      if (t.sources[s].kind != "ServiceAccount") {
        Report(DiagCode::MP1007, t.meta, base + "sources[" + std::to_string(s) + "].kind",
               "source kind " + t.sources[s].kind +
                   " is not supported (identities are ServiceAccounts); this source is ignored");
      }
    }
    // MP1005: namespace.
    if (t.destination.kind == "ServiceAccount" && t.destination.namespace_ != t.meta.namespace_) {
      Report(DiagCode::MP1005, t.meta, base + "destination.namespace",
             "TrafficTarget lives in namespace " + t.meta.namespace_ +
                 " but its destination is in " + t.destination.namespace_ +
                 "; only the destination's owner should grant access to it, and OSM ignores "
                 "(its webhook rejects) such a TrafficTarget");
    }
    // MP1006: no sources or no rules.
    if (t.sources.empty() || t.rules.empty()) {
      std::string what = t.sources.empty() && t.rules.empty() ? "no sources and no rules"
                         : t.sources.empty()                  ? "no sources"
                                                              : "no rules";
      std::string path = t.sources.empty() ? base + "sources" : RulesPath(t);
      std::string readings = t.sources.empty()
                                 ? "spec: it grants nothing (v1alpha3 requires a source); OSM: any "
                                   "caller on its TCP ports"
                                 : "spec and OSM: it grants nothing; Traefik Mesh: all traffic "
                                   "from its sources";
      Report(DiagCode::MP1006, t.meta, path, "TrafficTarget has " + what + "; " + readings);
    }
    // MP1003 / MP1004: identities that run nothing.
    if (t.destination.kind == "ServiceAccount" && !t.destination.name.empty()) {
      IdentityId d = g_.FindIdentity(t.destination.namespace_, t.destination.name);
      if (d == kNoId || g_.identities()[d].workloads.empty()) {
        Report(DiagCode::MP1003, t.meta, base + "destination.name",
               "destination identity " + t.destination.namespace_ + "/" + t.destination.name +
                   " runs no workload: this TrafficTarget protects nothing");
      }
    }
    for (std::size_t s = 0; s < t.sources.size(); ++s) {
      const Subject& src = t.sources[s];
      if (src.kind != "ServiceAccount" || src.name.empty()) continue;
      IdentityId id = g_.FindIdentity(src.namespace_, src.name);
      const bool runs = id != kNoId && !g_.identities()[id].workloads.empty();
      if (runs) continue;
      const bool declared = id != kNoId && g_.identities()[id].declared;
      Diagnostic& d =
          Report(DiagCode::MP1004, t.meta, base + "sources[" + std::to_string(s) + "].name",
                 "source identity " + src.namespace_ + "/" + src.name + " runs no workload" +
                     (declared ? "" : " and no ServiceAccount declares it") +
                     " (a typo, or the wrong namespace?)");
      d.group = "identity " + src.namespace_ + "/" + src.name;
    }
  }

  std::string OtherKindHint(const TrafficTarget& t, const RouteRef& rule) const {
    std::vector<std::string> found;
    if (rule.kind != "HTTPRouteGroup" && FindGroup(t.meta.namespace_, rule.name))
      found.push_back("HTTPRouteGroup");
    if (rule.kind != "TCPRoute" && FindL4(t.meta.namespace_, rule.name, L4Protocol::kTcp))
      found.push_back("TCPRoute");
    if (rule.kind != "UDPRoute" && FindL4(t.meta.namespace_, rule.name, L4Protocol::kUdp))
      found.push_back("UDPRoute");
    for (const auto& g : m_.http_route_groups) {
      if (g.meta.name == rule.name && g.meta.namespace_ != t.meta.namespace_ &&
          rule.kind == "HTTPRouteGroup") {
        return " (a group of that name exists in namespace " + g.meta.namespace_ +
               "; rules resolve in the TrafficTarget's namespace)";
      }
    }
    if (found.empty()) return "";
    return " (a " + found[0] + " of that name exists: wrong kind?)";
  }

  const HTTPRouteGroup* FindGroup(const std::string& ns, const std::string& name) const {
    auto it = groups_.find({ns, name});
    return it == groups_.end() ? nullptr : it->second;
  }
  const L4Route* FindL4(const std::string& ns, const std::string& name, L4Protocol p) const {
    auto it = l4_.find({ns, name, p});
    return it == l4_.end() ? nullptr : it->second;
  }

  // MP0003: objects in an API version the active profile's implementation does not serve
  // are not applied there ("no matches for kind" on apply).
  void CheckServedVersions() {
    auto check = [&](const ObjectMeta& meta, const std::vector<int>& served, const char* group) {
      if (meta.smi_version == 0 || served.empty()) return;
      if (std::find(served.begin(), served.end(), meta.smi_version) != served.end()) return;
      std::string list;
      for (int v : served)
        list += (list.empty() ? "" : ", ") + std::string("v1alpha") + std::to_string(v);
      Report(DiagCode::MP0003, meta, "apiVersion",
             meta.kind + " " + meta.api_version + " is not served by " + p_.name + " (it serves " +
                 group + " " + list + "); the object is not applied there");
    };
    if (!p_.evaluates_access) {
      for (const auto& x : m_.traffic_splits)
        check(x.meta, p_.served.traffic_split, "split.smi-spec.io");
      return;
    }
    for (const auto& x : m_.traffic_targets)
      check(x.meta, p_.served.traffic_target, "access.smi-spec.io");
    for (const auto& x : m_.http_route_groups)
      check(x.meta, p_.served.http_route_group, "specs.smi-spec.io");
    for (const auto& x : m_.l4_routes) {
      const auto& served =
          x.protocol == L4Protocol::kUdp ? p_.served.udp_route : p_.served.tcp_route;
      if (served.empty()) {
        Report(DiagCode::MP0003, x.meta, "kind",
               x.meta.kind + " is not supported by " + p_.name + "; rules naming it grant nothing");
      } else {
        check(x.meta, served, "specs.smi-spec.io");
      }
    }
    for (const auto& x : m_.traffic_splits)
      check(x.meta, p_.served.traffic_split, "split.smi-spec.io");
  }
  static std::string MatchNames(const HTTPRouteGroup& g) {
    std::string out;
    for (const auto& m : g.matches) out += (out.empty() ? "" : ", ") + m.name;
    return out.empty() ? "none" : out;
  }

  // --- Route groups: MP2005, MP2006 ----------------------------------------------------

  void CheckRouteGroup(const HTTPRouteGroup& g) {
    const std::string base = g.meta.smi_version <= 2 ? "matches" : "spec.matches";
    if (g.matches.empty()) {
      Report(DiagCode::MP2006, g.meta, "",
             "HTTPRouteGroup has no matches: rules that reference it grant nothing");
      return;
    }
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < g.matches.size(); ++i) {
      auto [it, inserted] = first.try_emplace(g.matches[i].name, i);
      if (!inserted) {
        Report(DiagCode::MP2005, g.meta, base + "[" + std::to_string(i) + "].name",
               "match name '" + g.matches[i].name + "' is used twice in this group (also " + base +
                   "[" + std::to_string(it->second) +
                   "]); a rule naming it grants both, and implementations may keep only one");
      }
    }
  }

  // --- MP2007: L4 ports nothing exposes -------------------------------------------------

  void CheckL4Ports() {
    std::set<std::pair<std::size_t, int>> reported;
    for (const Grant& gr : g_.grants()) {
      const TrafficTarget& t = m_.traffic_targets[gr.target];
      if (gr.destination == kNoId) continue;
      const Identity& dest = g_.identities()[gr.destination];
      if (dest.workloads.empty()) continue;  // MP1003 says it
      std::set<int> exposed;
      for (std::size_t w : dest.workloads) {
        for (const auto& cp : m_.workloads[w].ports) exposed.insert(cp.port);
      }
      for (ServiceId sid : g_.ServicesOf(gr.destination)) {
        for (const auto& p : g_.services()[sid].ports) {
          exposed.insert(p.port);
          for (int tp : p.target_ports) exposed.insert(tp);
        }
      }
      for (const RouteRef& rule : t.rules) {
        if (rule.kind != "TCPRoute" && rule.kind != "UDPRoute") continue;
        const L4Route* r = FindL4(t.meta.namespace_, rule.name,
                                  rule.kind == "UDPRoute" ? L4Protocol::kUdp : L4Protocol::kTcp);
        if (r == nullptr) continue;
        std::size_t route_index = static_cast<std::size_t>(r - m_.l4_routes.data());
        for (std::size_t i = 0; i < r->ports.size(); ++i) {
          int port = r->ports[i];
          if (exposed.count(port) || !reported.insert({route_index, port}).second) continue;
          Diagnostic& d =
              Report(DiagCode::MP2007, r->meta, "spec.matches.ports[" + std::to_string(i) + "]",
                     rule.kind + " port " + std::to_string(port) +
                         " is exposed by no workload or Service of " + dest.key() +
                         " (used by TrafficTarget " + t.meta.name + ")");
          d.related.push_back(t.meta.ref());
        }
      }
    }
  }

  // --- Splits: MP3001-MP3012 -----------------------------------------------------------

  void CheckSplits() {
    std::map<ServiceId, std::vector<std::size_t>> by_root;
    for (std::size_t si = 0; si < g_.splits().size(); ++si) {
      const SplitNode& node = g_.splits()[si];
      const TrafficSplit& ts = m_.traffic_splits[node.split];
      CheckSplitObject(node, ts);
      if (node.root != kNoId) by_root[node.root].push_back(si);
    }
    for (const auto& [root, list] : by_root) {
      if (list.size() < 2) continue;
      const TrafficSplit& first = m_.traffic_splits[g_.splits()[list[0]].split];
      for (std::size_t k = 1; k < list.size(); ++k) {
        const TrafficSplit& other = m_.traffic_splits[g_.splits()[list[k]].split];
        Diagnostic& d =
            Report(DiagCode::MP3006, other.meta, "spec.service",
                   "TrafficSplits " + first.meta.name + " and " + other.meta.name + " both split " +
                       SvcKey(root) +
                       "; which wins depends on the implementation (spec: unspecified, so "
                       "meshproof applies none; OSM: the first, " +
                       first.meta.name + ")");
        d.related.push_back(first.meta.ref());
      }
    }
    for (const auto& cycle : g_.SplitCycles()) {
      std::string names;
      for (ServiceId s : cycle) names += (names.empty() ? "" : " -> ") + SvcKey(s);
      const SplitNode* split = g_.AppliedSplit(cycle.front());
      if (split == nullptr) continue;
      Diagnostic& d =
          Report(DiagCode::MP3009, m_.traffic_splits[split->split].meta, "spec.backends",
                 "TrafficSplits form a cycle (" + names +
                     "); splits are not hierarchical and a cycle cannot be resolved");
      d.severity = Severity::kError;  // a cycle is an error; a single level is a warning
    }
    for (const SplitNode& node : g_.splits()) {
      if (node.applied) CheckSplitAccess(node);
    }
  }

  void CheckSplitObject(const SplitNode& node, const TrafficSplit& ts) {
    const std::string& ns = ts.meta.namespace_;
    // MP3001: root.
    if (node.root == kNoId) {
      auto name = ResolveRootName(ts.root_service, ns, RootForm::kShortOrSameNamespaceFqdn);
      std::string msg;
      if (ts.root_service.empty()) {
        msg = "TrafficSplit has no root service";
      } else if (!name) {
        msg = "root service '" + ts.root_service + "' is not a Service name in namespace " + ns +
              " (accepted: name, name." + ns + ", name." + ns + ".svc[.cluster.local])";
      } else if (!ResolveRootName(ts.root_service, ns, p_.root_form)) {
        msg = "root service '" + ts.root_service + "' is written in a form " + p_.name +
              " does not accept (use the short name)";
      } else {
        msg = "root service " + ns + "/" + *name + " does not exist";
      }
      Report(DiagCode::MP3001, ts.meta, "spec.service", msg);
    }
    // MP3012: A/B matches.
    for (std::size_t k = 0; k < ts.matches.size(); ++k) {
      if (ts.matches[k].kind == "HTTPRouteGroup" && !FindGroup(ns, ts.matches[k].name)) {
        Report(DiagCode::MP3012, ts.meta, "spec.matches[" + std::to_string(k) + "].name",
               "split matches reference HTTPRouteGroup " + ns + "/" + ts.matches[k].name +
                   ", which does not exist");
      }
    }
    // Weights: MP3003, MP3005.
    double sum = 0;
    bool all_valid = true;
    for (const auto& b : ts.backends) {
      if (b.weight_valid)
        sum += b.weight;
      else
        all_valid = false;
    }
    if (!ts.backends.empty() && all_valid && sum == 0) {
      Report(
          DiagCode::MP3003, ts.meta, "spec.backends",
          "all weights are 0: no traffic can be routed (Envoy-based meshes reject a total of 0)");
    }
    if (o_.require_weight_sum && all_valid && !ts.backends.empty() &&
        std::fabs(sum - *o_.require_weight_sum) > kWeightTolerance) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "weights sum to %g, not the configured %g", sum,
                    *o_.require_weight_sum);
      Report(DiagCode::MP3005, ts.meta, "spec.backends", buf);
    }
    // Per backend: MP3002, MP3007, MP3008, MP3009, MP3010.
    for (std::size_t i = 0; i < node.backends.size(); ++i) {
      const SplitBackendNode& b = node.backends[i];
      const SplitBackend& be = ts.backends[b.backend_index];
      const std::string bp = "spec.backends[" + std::to_string(b.backend_index) + "]";
      if (b.service_id == kNoId) {
        Report(DiagCode::MP3002, ts.meta, bp + ".service",
               "backend Service " + ns + "/" + b.service + " does not exist" +
                   (be.weight > 0
                        ? " (" + PercentText(b.share) + " of the root's traffic has nowhere to go)"
                        : ""));
        continue;
      }
      if (node.root != kNoId && b.service_id == node.root) {
        Report(DiagCode::MP3008, ts.meta, bp + ".service",
               "the root " + SvcKey(node.root) +
                   " is listed as its own backend; it usually selects every version, so its share "
                   "goes to all of them");
        continue;
      }
      const ServiceNode& backend = g_.services()[b.service_id];
      if (node.root != kNoId) {
        for (const auto& rp : g_.services()[node.root].ports) {
          bool has = std::any_of(backend.ports.begin(), backend.ports.end(),
                                 [&](const auto& p) { return p.port == rp.port; });
          if (!has) {
            Report(DiagCode::MP3007, ts.meta, bp + ".service",
                   "backend " + backend.key() + " has no port " + std::to_string(rp.port) +
                       " (a port of root " + SvcKey(node.root) +
                       "): it is excluded from the split on that port");
          }
        }
      }
      for (const SplitNode& other : g_.splits()) {
        if (other.applied && other.root == b.service_id && &other != &node) {
          Report(DiagCode::MP3009, ts.meta, bp + ".service",
                 "backend " + backend.key() + " is itself the root of TrafficSplit " +
                     m_.traffic_splits[other.split].meta.name +
                     "; splits are not hierarchical, so that split does not apply to this traffic");
          break;
        }
      }
      int replicas = 0;
      for (const Endpoint& e : backend.endpoints) replicas += std::max(e.replicas, 0);
      if (be.weight > 0 && replicas == 0) {
        Report(DiagCode::MP3010, ts.meta, bp + ".service",
               "backend " + backend.key() + " has weight " + be.weight_text + " (" +
                   PercentText(b.share) + ") but selects no pods: those requests fail");
      }
    }
  }

  // MP3011: a source allowed to reach the root is denied on a positive-weight backend.
  void CheckSplitAccess(const SplitNode& node) {
    if (!p_.EnforcesAccess() || node.root == kNoId) return;
    const TrafficSplit& ts = m_.traffic_splits[node.split];
    const ServiceNode& root = g_.services()[node.root];
    for (const auto& port : root.ports) {
      for (IdentityId src : CandidateSources(g_, node.root)) {
        ReachEntry e = EvaluateReach(g_, src, node.root, port.port);
        if (e.verdict == Verdict::kAllow) continue;
        // Allowed somewhere: on some receiver of the split, or on the root's own endpoints.
        bool allowed_somewhere = e.verdict == Verdict::kPartial;
        if (!allowed_somewhere) {
          for (std::size_t i = 0; i < root.endpoints.size(); ++i) {
            int tp = port.target_ports[i];
            if (tp && g_.Access(src, root.endpoints[i].identity, tp, port.protocol).level !=
                          PortAccess::Level::kNone) {
              allowed_somewhere = true;
            }
          }
        }
        if (!allowed_somewhere) continue;
        // Which backends deny it, and what share.
        std::map<ServiceId, std::pair<double, double>> per_backend;  // denied, total
        std::set<std::size_t> granting;
        IdentityId denied_identity = kNoId;
        for (const auto& r : e.receivers) {
          auto& [denied, total] = per_backend[r.backend];
          total += r.share;
          if (r.access.level == PortAccess::Level::kNone) {
            denied += r.share;
            denied_identity = r.identity;
          } else {
            granting.insert(r.access.targets.begin(), r.access.targets.end());
          }
        }
        for (const auto& [backend, dt] : per_backend) {
          if (dt.first <= 0) continue;
          std::size_t bi = 0;
          for (const auto& b : node.backends) {
            if (b.service_id == backend) bi = b.backend_index;
          }
          Diagnostic& d =
              Report(DiagCode::MP3011, ts.meta, "spec.backends[" + std::to_string(bi) + "]",
                     Key(src) + " may call " + root.key() + ":" + std::to_string(port.port) +
                         " but is denied on backend " + SvcKey(backend) + " (its pods run as " +
                         (denied_identity == kNoId ? std::string("?") : Key(denied_identity)) +
                         ", which no TrafficTarget opens to it): " + PercentText(dt.first) +
                         " of its requests to the root will fail with 403");
          for (std::size_t t : granting) d.related.push_back(m_.traffic_targets[t].meta.ref());
          d.witness = MakeWitness(src, root, port);
        }
      }
    }
  }

  Witness MakeWitness(IdentityId src, const ServiceNode& svc, const ServicePortInfo& port) const {
    Witness w;
    w.source = Key(src);
    w.destination = svc.key();
    w.port = port.port;
    if (port.protocol == PortProtocol::kHttp) {
      w.method = "GET";
      w.path = "/";
    }
    return w;
  }

  // --- MP1010: workloads no policy targets ---------------------------------------------

  void CheckWorkloadsWithoutPolicy() {
    for (IdentityId id = 0; id < g_.identities().size(); ++id) {
      const Identity& ident = g_.identities()[id];
      bool targeted = false;
      for (GrantId gid : g_.GrantsTo(id)) targeted = targeted || g_.grants()[gid].applied;
      if (targeted) continue;
      for (std::size_t w : ident.workloads) {
        const Workload& wl = m_.workloads[w];
        Report(DiagCode::MP1010, wl.meta, "",
               std::string(WorkloadKindName(wl.workload_kind)) + " " + wl.meta.name + " runs as " +
                   ident.key() +
                   ", which no TrafficTarget names as destination: it receives no mesh traffic");
      }
    }
  }

  // --- MP1009, MP1011: Services nobody can reach, or reach only in part ------------------

  void CheckServiceReachability() {
    for (ServiceId sid = 0; sid < g_.services().size(); ++sid) {
      const ServiceNode& s = g_.services()[sid];
      if (s.endpoints.empty() || s.ports.empty()) continue;  // MP3010 / nothing to reach
      const bool split = g_.AppliedSplit(sid) != nullptr;
      bool any_allowed = false;
      for (IdentityId src : CandidateSources(g_, sid)) {
        for (const auto& port : s.ports) {
          ReachEntry e = EvaluateReach(g_, src, sid, port.port);
          if (e.verdict != Verdict::kDeny) any_allowed = true;
          if (e.verdict != Verdict::kPartial || split) continue;  // splits: MP3011's job
          std::set<IdentityId> allowed_ids, denied_ids;
          for (const auto& r : e.receivers) {
            (r.access.level == PortAccess::Level::kNone ? denied_ids : allowed_ids)
                .insert(r.identity);
          }
          std::string denied;
          for (IdentityId d : denied_ids) denied += (denied.empty() ? "" : ", ") + Key(d);
          Diagnostic& d =
              Report(DiagCode::MP1011, m_.services[s.model_index].meta, "spec.selector",
                     "endpoints of " + s.key() + " run as several identities and " + Key(src) +
                         " is allowed on only some of them (denied on " + denied +
                         "): " + PercentText(e.denied_share) + " of its requests on port " +
                         std::to_string(port.port) + " fail, depending on load balancing");
          d.witness = MakeWitness(src, s, port);
        }
      }
      if (!any_allowed) {
        Report(DiagCode::MP1009, m_.services[s.model_index].meta, "",
               "no identity can reach " + s.key() +
                   " on any port: no TrafficTarget opens its pods' "
                   "identities to a caller");
      }
    }
  }

  // --- MP4001: identity/port-level portability -------------------------------------------

  void CheckPortability() {
    // Compare interpretations, not version support: the other profiles read every object
    // as if applied in a version they serve (MP0003 reports what the active one lacks).
    std::vector<std::unique_ptr<Profile>> profiles;
    std::vector<RouteGraph> others;
    for (const Profile& prof : AllProfiles()) {
      if (prof.id == p_.id || !prof.evaluates_access || !p_.EnforcesAccess()) continue;
      auto copy = std::make_unique<Profile>(prof);
      copy->served = GetProfile(ProfileId::kSpec).served;
      others.push_back(CompileGraph(m_, *copy));
      profiles.push_back(std::move(copy));
    }
    for (ServiceId sid = 0; sid < g_.services().size(); ++sid) {
      const ServiceNode& s = g_.services()[sid];
      std::set<std::string> sources;
      for (IdentityId id : CandidateSources(g_, sid)) sources.insert(Key(id));
      for (const RouteGraph& og : others) {
        ServiceId osid = og.FindService(s.namespace_, s.name);
        if (osid == kNoId) continue;
        for (IdentityId id : CandidateSources(og, osid)) sources.insert(og.identities()[id].key());
      }
      for (const auto& port : s.ports) {
        // Sources that differ the same way are one finding: (verdicts, reasons) -> sources.
        std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
        std::map<std::pair<std::string, std::string>, Verdict> here_of;
        for (const std::string& src : sources) {
          const NamespacedName id = NamespacedName::Parse(src, "").value_or(NamespacedName{});
          IdentityId mine = g_.FindIdentity(id.namespace_, id.name);
          Verdict here =
              mine == kNoId ? Verdict::kDeny : EvaluateReach(g_, mine, sid, port.port).verdict;
          std::string diffs;
          std::string why;
          for (const RouteGraph& og : others) {
            IdentityId theirs = og.FindIdentity(id.namespace_, id.name);
            ServiceId osid = og.FindService(s.namespace_, s.name);
            Verdict there = theirs == kNoId || osid == kNoId
                                ? Verdict::kDeny
                                : EvaluateReach(og, theirs, osid, port.port).verdict;
            if (there == here) continue;
            diffs += std::string(", ") + og.profile().name + ": " + VerdictName(there);
            std::string w = Why(og, s, port.protocol);
            if (!w.empty())
              why += (why.empty() ? "" : "; ") + std::string(og.profile().name) + ": " + w;
          }
          if (diffs.empty()) continue;
          std::pair<std::string, std::string> key{std::string(VerdictName(here)) + diffs, why};
          groups[key].push_back(src);
          here_of[key] = here;
        }
        for (const auto& [key, srcs] : groups) {
          std::string who;
          for (const auto& x : srcs) who += (who.empty() ? "" : ", ") + x;
          const std::string& verdicts = key.first;
          const std::string rest = verdicts.substr(verdicts.find(','));
          Diagnostic& d =
              Report(DiagCode::MP4001, m_.services[s.model_index].meta, "",
                     "portability: " + who + " -> " + s.key() + ":" + std::to_string(port.port) +
                         " is " + VerdictName(here_of[key]) + " under " + p_.name + rest +
                         (key.second.empty() ? "" : " (" + key.second + ")"));
          Witness w;
          w.source = srcs.front();
          w.destination = s.key();
          w.port = port.port;
          if (port.protocol == PortProtocol::kHttp) w.method = "GET";
          d.witness = w;
        }
      }
    }
  }

  // The profile decisions that touch the TrafficTargets and splits around `s`.
  std::string Why(const RouteGraph& other, const ServiceNode& s, PortProtocol protocol) const {
    const Profile& q = other.profile();
    std::set<std::string> reasons;
    bool http_only_target = false;
    std::set<IdentityId> ids;
    for (const Endpoint& e : s.endpoints) ids.insert(e.identity);
    if (const SplitNode* sp = g_.AppliedSplit(g_.FindService(s.namespace_, s.name))) {
      for (const auto& b : sp->backends) {
        if (b.service_id == kNoId) continue;
        for (const Endpoint& e : g_.services()[b.service_id].endpoints) ids.insert(e.identity);
      }
    }
    for (IdentityId id : ids) {
      for (GrantId gid : g_.GrantsTo(id)) {
        const TrafficTarget& t = m_.traffic_targets[g_.grants()[gid].target];
        IdentityId oid =
            other.FindIdentity(g_.identities()[id].namespace_, g_.identities()[id].name);
        if (oid != kNoId) {
          for (GrantId og : other.GrantsTo(oid)) {
            const Grant& ogr = other.grants()[og];
            if (ogr.target == g_.grants()[gid].target && !ogr.applied) {
              reasons.insert("it ignores TrafficTarget " + t.meta.name + " because " +
                             ogr.ignored_because);
            }
          }
        }
        for (const RouteRef& r : t.rules) {
          if (protocol == PortProtocol::kHttp && r.kind == "HTTPRouteGroup" && !r.matches &&
              q.rule_without_matches_grants_all != p_.rule_without_matches_grants_all) {
            reasons.insert(q.rule_without_matches_grants_all
                               ? "a rule without matches grants all matches"
                               : "a rule without matches grants nothing");
          }
        }
        const bool tcp_only =
            !t.rules.empty() && std::all_of(t.rules.begin(), t.rules.end(),
                                            [](const RouteRef& r) { return r.kind == "TCPRoute"; });
        if (protocol == PortProtocol::kHttp && tcp_only &&
            q.tcp_rules_grant_http_ports != p_.tcp_rules_grant_http_ports) {
          reasons.insert(q.tcp_rules_grant_http_ports
                             ? "TCPRoute-only targets open HTTP ports"
                             : "TCPRoute-only targets grant nothing on HTTP ports");
        }
        const bool has_tcp = std::any_of(t.rules.begin(), t.rules.end(),
                                         [](const RouteRef& r) { return r.kind == "TCPRoute"; });
        const bool has_http = std::any_of(t.rules.begin(), t.rules.end(), [](const RouteRef& r) {
          return r.kind == "HTTPRouteGroup";
        });
        if (has_http && !has_tcp) http_only_target = true;
        if (protocol == PortProtocol::kHttp && has_tcp && has_http &&
            q.tcp_routes_filter_http_ports != p_.tcp_routes_filter_http_ports) {
          reasons.insert(q.tcp_routes_filter_http_ports
                             ? "TCPRoute ports restrict which ports the HTTP matches apply on"
                             : "TCPRoute ports do not restrict HTTP ports (protocol decides)");
        }
        if (t.rules.empty() && q.empty_rules_grant_all != p_.empty_rules_grant_all) {
          reasons.insert(q.empty_rules_grant_all ? "a TrafficTarget without rules allows everything"
                                                 : "a TrafficTarget without rules grants nothing");
        }
        if (protocol == PortProtocol::kTcp && t.sources.empty() &&
            q.empty_sources_grant_any_on_tcp != p_.empty_sources_grant_any_on_tcp) {
          reasons.insert(q.empty_sources_grant_any_on_tcp
                             ? "no sources means any caller on TCP ports"
                             : "no sources grants nothing");
        }
      }
    }
    if (protocol == PortProtocol::kTcp && http_only_target &&
        q.http_rules_grant_tcp_ports != p_.http_rules_grant_tcp_ports) {
      reasons.insert(q.http_rules_grant_tcp_ports ? "HTTPRouteGroup rules also open TCP ports"
                                                  : "HTTPRouteGroup rules do not open TCP ports");
    }
    std::string out;
    for (const auto& r : reasons) out += (out.empty() ? "" : ", ") + r;
    return out;
  }

  std::map<std::pair<std::string, std::string>, const HTTPRouteGroup*> groups_;
  std::map<std::tuple<std::string, std::string, L4Protocol>, const L4Route*> l4_;
  const RouteGraph& g_;
  const MeshModel& m_;
  const Profile& p_;
  const CheckOptions& o_;
  Diagnostics* out_;
};

}  // namespace

void RunChecks(const RouteGraph& graph, const CheckOptions& options, Diagnostics* out) {
  if (options.solver_budget != nullptr) {
    Checker(graph, options, out).Run();
    return;
  }
  SolverBudget budget;
  CheckOptions bounded = options;
  bounded.solver_budget = &budget;
  Checker(graph, bounded, out).Run();
}

}  // namespace meshproof
