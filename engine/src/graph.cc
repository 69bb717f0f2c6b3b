#include "meshproof/engine/graph.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>

namespace meshproof {

const char* PortProtocolName(PortProtocol p) {
  switch (p) {
    case PortProtocol::kHttp:
      return "HTTP";
    case PortProtocol::kTcp:
      return "TCP";
    case PortProtocol::kUdp:
      return "UDP";
  }
  return "?";
}

struct RouteGraph::Impl {
  const Profile* profile = nullptr;
  const MeshModel* model = nullptr;
  std::vector<Identity> identities;
  std::unordered_map<std::string, IdentityId> identity_index;
  std::vector<ServiceNode> services;
  std::unordered_map<std::string, ServiceId> service_index;
  std::vector<Grant> grants;
  std::vector<std::vector<GrantId>> grants_to;      // per identity
  std::vector<std::vector<ServiceId>> services_of;  // per identity
  std::vector<SplitNode> splits;
  std::vector<int> applied_split;  // per service: index into splits, -1 when none

  // Split routing as a Boost graph over services (root -> backend), for cycle detection.
  using SplitGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  SplitGraph split_graph;

  IdentityId Identify(const std::string& ns, const std::string& name) {
    std::string key = ns + "/" + name;
    auto [it, inserted] =
        identity_index.try_emplace(key, static_cast<IdentityId>(identities.size()));
    if (inserted) {
      identities.push_back(Identity{ns, name, false, {}});
      grants_to.emplace_back();
      services_of.emplace_back();
    }
    return it->second;
  }
};

namespace {

bool Served(const std::vector<int>& served, const ObjectMeta& meta) {
  return std::find(served.begin(), served.end(), meta.smi_version) != served.end();
}

bool Selects(const Labels& selector, const Labels& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// appProtocol, then a "<proto>-" port-name prefix, then the profile's default (OSM 7.3).
PortProtocol Classify(const ServicePort& p, const Profile& profile) {
  if (p.protocol == "UDP") return PortProtocol::kUdp;
  auto from = [](const std::string& v) -> std::optional<PortProtocol> {
    std::string s = v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* h : {"http", "http2", "grpc", "grpc-web", "kubernetes.io/h2c",
                          "kubernetes.io/ws", "kubernetes.io/wss", "https"}) {
      if (s == h || StartsWith(s, (std::string(h) + "-").c_str())) return PortProtocol::kHttp;
    }
    for (const char* t :
         {"tcp", "tcp-server-first", "mysql", "mongo", "redis", "postgres", "postgresql", "tls"}) {
      if (s == t || StartsWith(s, (std::string(t) + "-").c_str())) return PortProtocol::kTcp;
    }
    return std::nullopt;
  };
  if (!p.app_protocol.empty()) {
    if (auto r = from(p.app_protocol)) return *r;
  }
  if (!p.name.empty()) {
    if (auto r = from(p.name)) return *r;
  }
  return profile.default_port_protocol == DefaultPortProtocol::kHttp ? PortProtocol::kHttp
                                                                     : PortProtocol::kTcp;
}

bool Covers(bool all, const std::vector<int>& ports, int port) {
  return all || std::find(ports.begin(), ports.end(), port) != ports.end();
}

}  // namespace

std::optional<std::string> ResolveRootName(const std::string& written, const std::string& ns,
                                           RootForm form) {
  if (written.empty()) return std::nullopt;
  auto dot = written.find('.');
  if (dot == std::string::npos) return written;
  switch (form) {
    case RootForm::kShortOnly:
      return std::nullopt;
    case RootForm::kAnyIgnoreNamespace:
      return written.substr(0, dot);
    case RootForm::kShortOrSameNamespaceFqdn: {
      const std::string name = written.substr(0, dot);
      const std::string rest = written.substr(dot + 1);
      for (const std::string& ok : {ns, ns + ".svc", ns + ".svc.cluster.local"}) {
        if (rest == ok) return name;
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

RouteGraph::RouteGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RouteGraph::RouteGraph(RouteGraph&&) noexcept = default;
RouteGraph& RouteGraph::operator=(RouteGraph&&) noexcept = default;
RouteGraph::~RouteGraph() = default;

const Profile& RouteGraph::profile() const { return *impl_->profile; }
const MeshModel& RouteGraph::model() const { return *impl_->model; }
const std::vector<Identity>& RouteGraph::identities() const { return impl_->identities; }
const std::vector<ServiceNode>& RouteGraph::services() const { return impl_->services; }
const std::vector<Grant>& RouteGraph::grants() const { return impl_->grants; }
const std::vector<SplitNode>& RouteGraph::splits() const { return impl_->splits; }

IdentityId RouteGraph::FindIdentity(const std::string& ns, const std::string& name) const {
  auto it = impl_->identity_index.find(ns + "/" + name);
  return it == impl_->identity_index.end() ? kNoId : it->second;
}
ServiceId RouteGraph::FindService(const std::string& ns, const std::string& name) const {
  auto it = impl_->service_index.find(ns + "/" + name);
  return it == impl_->service_index.end() ? kNoId : it->second;
}
const std::vector<GrantId>& RouteGraph::GrantsTo(IdentityId id) const {
  return impl_->grants_to[id];
}
const std::vector<ServiceId>& RouteGraph::ServicesOf(IdentityId id) const {
  return impl_->services_of[id];
}
const SplitNode* RouteGraph::AppliedSplit(ServiceId id) const {
  int s = impl_->applied_split[id];
  return s < 0 ? nullptr : &impl_->splits[static_cast<std::size_t>(s)];
}

PortAccess RouteGraph::Access(IdentityId source, IdentityId destination, int target_port,
                              PortProtocol protocol) const {
  PortAccess out;
  const Profile& p = *impl_->profile;
  if (!p.EnforcesAccess()) {
    out.level = PortAccess::Level::kAll;
    return out;
  }
  auto raise = [&](PortAccess::Level l) { out.level = std::max(out.level, l); };
  for (GrantId gid : impl_->grants_to[destination]) {
    const Grant& g = impl_->grants[gid];
    if (!g.applied) continue;
    const bool listed = std::find(g.sources.begin(), g.sources.end(), source) != g.sources.end();
    const bool any = g.any_source_on_tcp && protocol == PortProtocol::kTcp;
    if (!listed && !any) continue;
    if (g.port && *g.port != target_port) continue;
    const bool no_rules = !g.has_http_rules && !g.has_tcp_rules && !g.has_udp_rules;
    PortAccess::Level level = PortAccess::Level::kNone;
    std::vector<GrantedMatch> matches;
    switch (protocol) {
      case PortProtocol::kUdp:
        if (g.has_udp_rules && Covers(g.udp_all_ports, g.udp_ports, target_port)) {
          level = PortAccess::Level::kAll;
        } else if (no_rules && g.http_all) {
          level = PortAccess::Level::kAll;
        }
        break;
      case PortProtocol::kTcp:
        if (g.has_tcp_rules) {
          if (Covers(g.tcp_all_ports, g.tcp_ports, target_port)) level = PortAccess::Level::kAll;
        } else if (g.has_http_rules) {
          if (p.http_rules_grant_tcp_ports) level = PortAccess::Level::kAll;
        } else if (no_rules && (g.http_all || any)) {
          level = PortAccess::Level::kAll;
        }
        break;
      case PortProtocol::kHttp: {
        if (g.has_tcp_rules && p.tcp_routes_filter_http_ports &&
            !Covers(g.tcp_all_ports, g.tcp_ports, target_port)) {
          break;
        }
        if (g.has_http_rules) {
          if (g.http_all) {
            level = PortAccess::Level::kAll;
          } else if (!g.http_matches.empty()) {
            level = PortAccess::Level::kSomeRoutes;
            matches = g.http_matches;
          }
        } else if (g.has_tcp_rules) {
          if (p.tcp_rules_grant_http_ports) level = PortAccess::Level::kAll;
        } else if (no_rules && g.http_all) {
          level = PortAccess::Level::kAll;
        }
        break;
      }
    }
    if (level == PortAccess::Level::kNone) continue;
    raise(level);
    out.targets.push_back(g.target);
    out.matches.insert(out.matches.end(), matches.begin(), matches.end());
  }
  std::sort(out.targets.begin(), out.targets.end());
  out.targets.erase(std::unique(out.targets.begin(), out.targets.end()), out.targets.end());
  if (out.level == PortAccess::Level::kAll) out.matches.clear();
  return out;
}

std::vector<std::vector<ServiceId>> RouteGraph::SplitCycles() const {
  const auto& g = impl_->split_graph;
  std::vector<int> component(boost::num_vertices(g));
  int n = boost::strong_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  std::vector<std::vector<ServiceId>> groups(static_cast<std::size_t>(n));
  for (std::size_t v = 0; v < component.size(); ++v) {
    groups[static_cast<std::size_t>(component[v])].push_back(static_cast<ServiceId>(v));
  }
  std::vector<std::vector<ServiceId>> cycles;
  for (auto& grp : groups) {
    if (grp.size() > 1) cycles.push_back(std::move(grp));  // self-loops are MP3008's business
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

namespace {

// The route objects a profile serves, by (namespace, name).
struct RouteIndex {
  std::map<std::pair<std::string, std::string>, std::size_t> groups, tcp, udp;
};

// Identities: declared ServiceAccounts, then what workloads run as.
void AddIdentities(const MeshModel& m, RouteGraph::Impl& g,
                   std::unordered_map<std::string, std::vector<std::size_t>>* workloads_by_ns) {
  for (const auto& sa : m.service_accounts) {
    g.identities[g.Identify(sa.meta.namespace_, sa.meta.name)].declared = true;
  }
  for (std::size_t w = 0; w < m.workloads.size(); ++w) {
    const Workload& wl = m.workloads[w];
    g.identities[g.Identify(wl.meta.namespace_, wl.service_account)].workloads.push_back(w);
    (*workloads_by_ns)[wl.meta.namespace_].push_back(w);
  }
}

// Services and their endpoints (Kubernetes: selector -> pods -> serviceAccountName).
void AddServices(const MeshModel& m, const Profile& profile,
                 std::unordered_map<std::string, std::vector<std::size_t>>& workloads_by_ns,
                 RouteGraph::Impl& g) {
  for (std::size_t si = 0; si < m.services.size(); ++si) {
    const Service& s = m.services[si];
    ServiceNode node;
    node.model_index = si;
    node.namespace_ = s.meta.namespace_;
    node.name = s.meta.name;
    if (s.has_selector) {
      for (std::size_t w : workloads_by_ns[s.meta.namespace_]) {
        const Workload& wl = m.workloads[w];
        if (!Selects(s.selector, wl.pod_labels)) continue;
        node.endpoints.push_back(Endpoint{w, g.Identify(wl.meta.namespace_, wl.service_account),
                                          wl.replicas.value_or(1)});
      }
    }
    for (const ServicePort& sp : s.ports) {
      ServicePortInfo info;
      info.port = sp.port;
      info.name = sp.name;
      info.protocol = Classify(sp, profile);
      for (const Endpoint& e : node.endpoints) {
        int target = sp.target_port;
        if (!sp.target_port_name.empty()) {
          target = 0;
          for (const ContainerPort& cp : m.workloads[e.workload].ports) {
            if (cp.name == sp.target_port_name) target = cp.port;
          }
        }
        info.target_ports.push_back(target);
      }
      node.ports.push_back(std::move(info));
    }
    ServiceId id = static_cast<ServiceId>(g.services.size());
    g.service_index[node.key()] = id;
    for (const Endpoint& e : node.endpoints) {
      auto& list = g.services_of[e.identity];
      if (list.empty() || list.back() != id) list.push_back(id);
    }
    g.services.push_back(std::move(node));
  }
}

RouteIndex IndexRoutes(const MeshModel& m, const Profile& profile) {
  RouteIndex idx;
  auto& groups = idx.groups;
  auto& tcp_routes = idx.tcp;
  auto& udp_routes = idx.udp;
  for (std::size_t i = 0; i < m.http_route_groups.size(); ++i) {
    const auto& meta = m.http_route_groups[i].meta;
    if (Served(profile.served.http_route_group, meta)) groups[{meta.namespace_, meta.name}] = i;
  }
  for (std::size_t i = 0; i < m.l4_routes.size(); ++i) {
    const L4Route& r = m.l4_routes[i];
    const bool udp = r.protocol == L4Protocol::kUdp;
    if (!Served(udp ? profile.served.udp_route : profile.served.tcp_route, r.meta)) continue;
    (udp ? udp_routes : tcp_routes)[{r.meta.namespace_, r.meta.name}] = i;
  }

  return idx;
}

// What one TrafficTarget rule adds to its grant; `ignore` marks the grant not applied.
template <typename Ignore>
void AddRule(const MeshModel& m, const Profile& profile, const RouteIndex& idx,
             const std::string& ns, const RouteRef& rule, Grant& gr, Ignore&& ignore) {
  const auto& groups = idx.groups;
  const auto& tcp_routes = idx.tcp;
  const auto& udp_routes = idx.udp;
  if (rule.kind == "HTTPRouteGroup") {
    gr.has_http_rules = true;
    auto it = groups.find({ns, rule.name});
    if (it == groups.end()) return;  // grants nothing (MP1001)
    const HTTPRouteGroup& hrg = m.http_route_groups[it->second];
    for (std::size_t k = 0; k < hrg.matches.size(); ++k) {
      bool wanted = rule.matches ? std::find(rule.matches->begin(), rule.matches->end(),
                                             hrg.matches[k].name) != rule.matches->end()
                                 : profile.rule_without_matches_grants_all;
      if (wanted) gr.http_matches.push_back({it->second, k});
    }
  } else if (rule.kind == "TCPRoute" || rule.kind == "UDPRoute") {
    const bool udp = rule.kind == "UDPRoute";
    if (udp && profile.udp_rule_invalidates_target) ignore("it has a UDPRoute rule");
    (udp ? gr.has_udp_rules : gr.has_tcp_rules) = true;
    auto& index = udp ? udp_routes : tcp_routes;
    auto it = index.find({ns, rule.name});
    if (it == index.end()) {
      if (!udp && profile.missing_tcp_route_drops_target) {
        ignore("a rule names a missing TCPRoute");
      }
      return;
    }
    const L4Route& r = m.l4_routes[it->second];
    bool& all = udp ? gr.udp_all_ports : gr.tcp_all_ports;
    auto& ports = udp ? gr.udp_ports : gr.tcp_ports;
    if (r.ports.empty()) {
      all = true;
    } else {
      ports.insert(ports.end(), r.ports.begin(), r.ports.end());
    }
  }
}

Grant CompileGrant(const MeshModel& m, const Profile& profile, const RouteIndex& idx,
                   std::size_t ti, RouteGraph::Impl& g) {
  const TrafficTarget& tt = m.traffic_targets[ti];
  Grant gr;
  gr.target = ti;
  const std::string& ns = tt.meta.namespace_;
  auto ignore = [&](std::string why) {
    if (gr.applied) {
      gr.applied = false;
      gr.ignored_because = std::move(why);
    }
  };
  if (!Served(profile.served.traffic_target, tt.meta)) {
    ignore(std::string(profile.name) + " does not serve " + tt.meta.api_version);
  }
  if (tt.destination.kind != "ServiceAccount" || tt.destination.name.empty()) {
    ignore("destination kind " + tt.destination.kind + " is not supported");
  } else {
    gr.destination = g.Identify(tt.destination.namespace_, tt.destination.name);
  }
  if (profile.target_namespace_must_match && ns != tt.destination.namespace_) {
    ignore("its namespace differs from its destination's");
  }
  gr.port = tt.port;
  for (const Subject& src : tt.sources) {
    if (src.kind == "ServiceAccount" && !src.name.empty()) {
      gr.sources.push_back(g.Identify(src.namespace_, src.name));
    }
  }
  if (tt.sources.empty() && profile.empty_sources_grant_any_on_tcp) gr.any_source_on_tcp = true;
  for (const RouteRef& rule : tt.rules) AddRule(m, profile, idx, ns, rule, gr, ignore);
  if (tt.rules.empty() && profile.empty_rules_grant_all) {
    gr.http_all = true;
    gr.tcp_all_ports = true;
    gr.udp_all_ports = true;
  }
  if (tt.sources.empty() && !gr.any_source_on_tcp) {
    // No caller is named: nothing is granted (spec 1.4).
  }
  return gr;
}

// Splits: resolve roots and backends; the profile decides among several per root.
void AddSplits(const MeshModel& m, const Profile& profile, RouteGraph::Impl& g) {
  g.applied_split.assign(g.services.size(), -1);
  std::map<ServiceId, std::vector<std::size_t>> by_root;
  for (std::size_t si = 0; si < m.traffic_splits.size(); ++si) {
    const TrafficSplit& ts = m.traffic_splits[si];
    SplitNode node;
    node.split = si;
    if (auto root = ResolveRootName(ts.root_service, ts.meta.namespace_, profile.root_form)) {
      node.root = g.service_index.count(ts.meta.namespace_ + "/" + *root)
                      ? g.service_index[ts.meta.namespace_ + "/" + *root]
                      : kNoId;
    }
    for (std::size_t b = 0; b < ts.backends.size(); ++b) {
      const SplitBackend& be = ts.backends[b];
      auto it = g.service_index.find(ts.meta.namespace_ + "/" + be.service);
      node.backends.push_back(
          {be.service, it == g.service_index.end() ? kNoId : it->second, be.share, b});
    }
    if (node.root != kNoId && Served(profile.served.traffic_split, ts.meta)) {
      by_root[node.root].push_back(g.splits.size());
    }
    g.splits.push_back(std::move(node));
  }
  for (auto& [root, list] : by_root) {
    if (list.size() == 1 || profile.split_conflict == SplitConflict::kFirst) {
      // Splits are already in (namespace, name) order: "first" is the first of those.
      g.splits[list.front()].applied = true;
      g.applied_split[root] = static_cast<int>(list.front());
    }
  }
  for (std::size_t v = 0; v < g.services.size(); ++v) boost::add_vertex(g.split_graph);
  for (const SplitNode& s : g.splits) {
    if (!s.applied) continue;
    for (const SplitBackendNode& b : s.backends) {
      if (b.service_id != kNoId && b.service_id != s.root)
        boost::add_edge(s.root, b.service_id, g.split_graph);
    }
  }
}

}  // namespace

RouteGraph CompileGraph(const MeshModel& m, const Profile& profile) {
  auto impl = std::make_unique<RouteGraph::Impl>();
  RouteGraph::Impl& g = *impl;
  g.profile = &profile;
  g.model = &m;
  std::unordered_map<std::string, std::vector<std::size_t>> workloads_by_ns;
  AddIdentities(m, g, &workloads_by_ns);
  AddServices(m, profile, workloads_by_ns, g);
  const RouteIndex idx = IndexRoutes(m, profile);
  for (std::size_t ti = 0; ti < m.traffic_targets.size(); ++ti) {
    Grant gr = CompileGrant(m, profile, idx, ti, g);
    const GrantId id = static_cast<GrantId>(g.grants.size());
    if (gr.destination != kNoId) g.grants_to[gr.destination].push_back(id);
    g.grants.push_back(std::move(gr));
  }
  AddSplits(m, profile, g);
  return RouteGraph(std::move(impl));
}

}  // namespace meshproof
