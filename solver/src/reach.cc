#include "meshproof/solver/reach.h"

#include <algorithm>
#include <map>
#include <set>

#include "meshproof/engine/numeric.h"

namespace meshproof {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAllow:
      return "allow";
    case Verdict::kPartial:
      return "partial";
    case Verdict::kDeny:
      return "deny";
  }
  return "?";
}

namespace {

// Receivers of one Service (no split) on `port`, weighted by replicas.
void AddEndpoints(const RouteGraph& graph, ServiceId sid, int port, double share,
                  std::vector<Receiver>* out) {
  const ServiceNode& s = graph.services()[sid];
  const ServicePortInfo* info = nullptr;
  for (const auto& p : s.ports) {
    if (p.port == port) info = &p;
  }
  if (info == nullptr) return;
  int total = 0;
  for (const Endpoint& e : s.endpoints) total += std::max(e.replicas, 0);
  if (total == 0) return;
  for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
    const Endpoint& e = s.endpoints[i];
    if (e.replicas <= 0) continue;
    out->push_back(Receiver{sid, i, e.identity, info->target_ports[i], info->protocol,
                            share * e.replicas / total});
  }
}

bool HasPort(const ServiceNode& s, int port) {
  return std::any_of(s.ports.begin(), s.ports.end(), [&](const auto& p) { return p.port == port; });
}

}  // namespace

std::vector<Receiver> ResolveRequest(const RouteGraph& graph, ServiceId service, int port) {
  std::vector<Receiver> out;
  const SplitNode* split = graph.AppliedSplit(service);
  if (split == nullptr) {
    AddEndpoints(graph, service, port, 1.0, &out);
    return out;
  }
  // Backends lacking the port are excluded on that port; shares renormalise over the rest.
  double total = 0;
  for (const auto& b : split->backends) {
    if (b.service_id != kNoId && b.share > 0 && HasPort(graph.services()[b.service_id], port)) {
      total += b.share;
    }
  }
  if (total <= 0) return out;
  for (const auto& b : split->backends) {
    if (b.service_id == kNoId || b.share <= 0) continue;
    if (!HasPort(graph.services()[b.service_id], port)) continue;
    AddEndpoints(graph, b.service_id, port, b.share / total, &out);
  }
  return out;
}

ReachEntry EvaluateReach(const RouteGraph& graph, IdentityId source, ServiceId service, int port) {
  ReachEntry e;
  e.source = source;
  e.service = service;
  e.port = port;
  for (const auto& p : graph.services()[service].ports) {
    if (p.port == port) e.protocol = p.protocol;
  }
  std::vector<Receiver> receivers = ResolveRequest(graph, service, port);
  // Group by (identity, backend, pod port): one access decision each.
  std::map<std::tuple<IdentityId, ServiceId, int>, double> groups;
  for (const Receiver& r : receivers) groups[{r.identity, r.service, r.target_port}] += r.share;
  double allowed = 0, served = 0;
  for (const auto& [key, share] : groups) {
    auto [identity, backend, target] = key;
    ReachEntry::PerReceiver pr;
    pr.identity = identity;
    pr.backend = backend;
    pr.target_port = target;
    pr.share = share;
    if (target != 0) pr.access = graph.Access(source, identity, target, e.protocol);
    served += share;
    if (pr.access.level != PortAccess::Level::kNone) allowed += share;
    e.receivers.push_back(std::move(pr));
  }
  if (served <= 0) {
    e.verdict = Verdict::kDeny;
    e.denied_share = 1;
    return e;
  }
  e.denied_share = std::clamp(1.0 - allowed / served, 0.0, 1.0);
  if (allowed <= 0) {
    e.verdict = Verdict::kDeny;
  } else if (e.denied_share > kShareTolerance) {
    e.verdict = Verdict::kPartial;
  } else {
    e.verdict = Verdict::kAllow;
    e.denied_share = 0;
  }
  return e;
}

std::vector<IdentityId> CandidateSources(const RouteGraph& graph, ServiceId service) {
  std::set<IdentityId> identities;
  auto collect = [&](ServiceId sid) {
    for (const Endpoint& ep : graph.services()[sid].endpoints) identities.insert(ep.identity);
  };
  collect(service);
  if (const SplitNode* split = graph.AppliedSplit(service)) {
    for (const auto& b : split->backends) {
      if (b.service_id != kNoId) collect(b.service_id);
    }
  }
  std::set<IdentityId> sources;
  bool any = !graph.profile().EnforcesAccess();
  for (IdentityId id : identities) {
    for (GrantId gid : graph.GrantsTo(id)) {
      const Grant& g = graph.grants()[gid];
      if (!g.applied) continue;
      sources.insert(g.sources.begin(), g.sources.end());
      if (g.any_source_on_tcp) any = true;
    }
  }
  if (any) {  // every identity that runs a workload may call
    for (IdentityId id = 0; id < graph.identities().size(); ++id) {
      if (!graph.identities()[id].workloads.empty()) sources.insert(id);
    }
  }
  return {sources.begin(), sources.end()};
}

std::vector<ReachEntry> ReachMatrix(const RouteGraph& graph, bool include_deny) {
  std::vector<ReachEntry> out;
  std::vector<IdentityId> everyone;
  if (include_deny) {
    std::set<IdentityId> named;
    for (const Grant& g : graph.grants()) named.insert(g.sources.begin(), g.sources.end());
    for (IdentityId id = 0; id < graph.identities().size(); ++id) {
      if (!graph.identities()[id].workloads.empty() || named.count(id)) everyone.push_back(id);
    }
  }
  for (ServiceId sid = 0; sid < graph.services().size(); ++sid) {
    const ServiceNode& s = graph.services()[sid];
    std::vector<IdentityId> sources = include_deny ? everyone : CandidateSources(graph, sid);
    for (IdentityId src : sources) {
      for (const auto& p : s.ports) {
        ReachEntry e = EvaluateReach(graph, src, sid, p.port);
        if (e.verdict != Verdict::kDeny || include_deny) out.push_back(std::move(e));
      }
    }
  }
  auto key = [&](const ReachEntry& e) {
    return std::make_tuple(graph.identities()[e.source].key(), graph.services()[e.service].key(),
                           e.port);
  };
  std::sort(out.begin(), out.end(),
            [&](const ReachEntry& a, const ReachEntry& b) { return key(a) < key(b); });
  return out;
}

std::string DescribeAccess(const RouteGraph& graph, const PortAccess& access) {
  switch (access.level) {
    case PortAccess::Level::kNone:
      return "nothing";
    case PortAccess::Level::kAll:
      return "all";
    case PortAccess::Level::kSomeRoutes:
      break;
  }
  std::set<std::string> names;
  const MeshModel& m = graph.model();
  for (const GrantedMatch& gm : access.matches) {
    const HTTPRouteGroup& g = m.http_route_groups[gm.group];
    names.insert(g.meta.name + "/" + g.matches[gm.match].name);
  }
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace meshproof
