// compile.cc: a Scenario over a RouteGraph becomes the Simulator's model (Impl): one node
// per workload with its behaviour, pools of replicas per Service port, request classes
// (source identity x request shape x Service port) with their split targets and access
// verdicts decided once, and the traffic sources.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim_model.h"

#include "meshproof/engine/model_index.h"
#include "meshproof/engine/names.h"
#include "meshproof/engine/numeric.h"
#include "meshproof/simulator/control.h"
#include "meshproof/simulator/slo.h"

namespace meshproof::sim {

std::string EdgeInfo::key() const {
  const char* s = side == EdgeSide::kServer ? "0" : side == EdgeSide::kClient ? "1" : "2";
  return std::string(s) + "|" + resource.namespace_ + "/" + resource.name + "|" + peer.namespace_ +
         "/" + peer.name + "|" + backend;
}

std::optional<std::uint32_t> Simulator::Impl::MakeClass(IdentityId source, const std::string& to,
                                                        std::optional<int> port,
                                                        const RequestShape& r, const Loc& loc,
                                                        bool required, Diagnostics* diags) {
  const auto name = NamespacedName::Parse(to, "");
  const ServiceId sid = name ? graph->FindService(name->namespace_, name->name) : kNoId;
  if (sid == kNoId) {
    diags->Report(DiagCode::MP6002, loc, "no Service " + to + " in the mesh");
    return std::nullopt;
  }
  const ServiceNode& svc = graph->services()[sid];
  const int p = ResolvePort(svc, to, port, loc, diags);
  if (p == 0) return std::nullopt;
  const RoutePolicy* rp = PolicyFor(to);
  const Balancing balancing = rp != nullptr && rp->balancing ? *rp->balancing : scenario.balancing;
  ClassModel c;
  c.required = required;
  if (rp != nullptr) c.policy = Policy{rp->timeout, rp->retry};
  EdgeInfo client;
  client.side = EdgeSide::kClient;
  client.resource = IdentityRef(source);
  client.peer = {"Service", svc.namespace_, svc.name};
  c.client_edge = Edge(client);

  const SplitNode* split = graph->AppliedSplit(sid);
  if (split != nullptr && SplitMatches(*split, r)) {
    AddSplitTargets(*split, source, p, balancing, r, &c);
  } else {
    c.targets.push_back(MakeTarget(source, sid, p, balancing, r));
    c.cumulative.push_back(1.0);
  }
  classes.push_back(std::move(c));
  return static_cast<std::uint32_t>(classes.size() - 1);
}

int Simulator::Impl::ResolvePort(const ServiceNode& svc, const std::string& to,
                                 std::optional<int> port, const Loc& loc,
                                 Diagnostics* diags) const {
  int p = 0;
  if (port) {
    for (const ServicePortInfo& sp : svc.ports) {
      if (sp.port == *port) p = *port;
    }
    if (p == 0) {
      std::string have;
      for (const ServicePortInfo& sp : svc.ports)
        have += (have.empty() ? "" : ", ") + std::to_string(sp.port);
      diags->Report(
          DiagCode::MP6002, loc,
          "Service " + to + " has no port " + std::to_string(*port) + " (it has: " + have + ")");
      return 0;
    }
  } else if (svc.ports.size() == 1) {
    p = svc.ports[0].port;
  } else {
    diags->Report(DiagCode::MP6002, loc,
                  "Service " + to + " has " + std::to_string(svc.ports.size()) +
                      " ports: say which with `port:`");
    return 0;
  }
  return p;
}

void Simulator::Impl::AddSplitTargets(const SplitNode& split, IdentityId source, int port,
                                      Balancing balancing, const RequestShape& r, ClassModel* c) {
  const bool dynamic = dynamic_splits.count(split.split) > 0;
  const MeshModel& model = graph->model();
  const TrafficSplit& ts = model.traffic_splits[split.split];
  double total = 0;
  auto has_port = [&](ServiceId b) {
    for (const ServicePortInfo& sp : graph->services()[b].ports) {
      if (sp.port == port) return true;
    }
    return false;
  };
  for (const SplitBackendNode& b : split.backends) {
    if (b.service_id != kNoId && (b.share > 0 || dynamic) && has_port(b.service_id))
      total += b.share;
  }
  double run = 0;
  for (const SplitBackendNode& b : split.backends) {
    if (b.service_id == kNoId || (b.share <= 0 && !dynamic) || !has_port(b.service_id)) continue;
    Target t = MakeTarget(source, b.service_id, port, balancing, r);
    EdgeInfo se;
    se.side = EdgeSide::kSplit;
    se.resource = {"TrafficSplit", ts.meta.namespace_, ts.meta.name};
    se.peer = IdentityRef(source);
    se.apex = ts.root_service;
    se.backend = b.service;
    se.weight = ts.backends[b.backend_index].weight_text;
    t.split_edge = Edge(se);
    c->targets.push_back(std::move(t));
    c->target_backend.push_back(b.backend_index);
    run += total > 0 ? b.share / total : 0;
    c->cumulative.push_back(run);
  }
  if (!c->cumulative.empty() && total > 0) c->cumulative.back() = 1.0;
  if (dynamic) {
    c->dynamic_split = static_cast<std::uint32_t>(split.split);
    classes_of_split[split.split].push_back(static_cast<std::uint32_t>(classes.size()));
  }
}

namespace {

using Described = std::map<std::string, const WorkloadSpec*>;

// Behaviour per workload: its own entry (checked against the mesh), then spec.defaults,
// then built-in defaults.
Described DescribedWorkloads(const Scenario& scenario, const ModelIndex& index,
                             Diagnostics* diags) {
  std::map<std::string, const WorkloadSpec*> described;
  for (const WorkloadSpec& w : scenario.workloads) {
    const auto name = NamespacedName::Parse(w.workload, "");
    const bool found = name && index.Workload(name->namespace_, name->name).has_value();
    if (!found) {
      diags->Report(DiagCode::MP6002, w.loc, "no workload " + w.workload + " in the mesh");
      continue;
    }
    if (w.behaviour.has_calls && w.behaviour.has_next) {
      diags->Report(DiagCode::MP6001, w.loc,
                    "workload " + w.workload +
                        " has both `calls` (synchronous) and `next` (forwarding): choose one");
    }
    described[w.workload] = &w;
  }
  return described;
}

// One node per workload, its replicas numbered consecutively.
void AddNodes(const Described& described, Simulator::Impl* mp) {
  Simulator::Impl& m = *mp;
  const Scenario& scenario = m.scenario;
  const RouteGraph& graph = *m.graph;
  const MeshModel& model = graph.model();
  std::uint32_t replica = 0;
  for (std::size_t wi = 0; wi < model.workloads.size(); ++wi) {
    const Workload& w = model.workloads[wi];
    const std::string key = w.meta.namespace_ + "/" + w.meta.name;
    const auto it = described.find(key);
    const Behaviour* own = it == described.end() ? nullptr : &it->second->behaviour;
    const Behaviour& def = scenario.defaults;
    auto pick = [&](auto member, auto fallback) {
      if (own != nullptr && (own->*member)) return *(own->*member);
      if (def.*member) return *(def.*member);
      return fallback;
    };
    Simulator::Impl::NodeModel n;
    n.replicas = pick(&Behaviour::replicas, w.replicas.value_or(1));
    n.concurrency = static_cast<std::uint32_t>(pick(&Behaviour::concurrency, 1));
    const int cap = pick(&Behaviour::queue_capacity, -1);
    n.queue_capacity = cap;
    n.discipline = pick(&Behaviour::discipline, Discipline::kFifo);
    n.service = pick(&Behaviour::service_time, Distribution::Exponential(0.010));
    n.error_rate = pick(&Behaviour::error_rate, 0.0);
    n.first_replica = replica;
    n.identity = graph.FindIdentity(w.meta.namespace_, w.service_account);
    replica += static_cast<std::uint32_t>(n.replicas);
    m.node_of_workload[wi] = static_cast<std::uint32_t>(m.node_models.size());
    for (int k = 0; k < n.replicas; ++k)
      m.replica_node.push_back(static_cast<std::uint32_t>(m.node_models.size()));
    NodeInfo info;
    info.workload = {WorkloadKindName(w.workload_kind), w.meta.namespace_, w.meta.name};
    info.replicas = n.replicas;
    info.concurrency = static_cast<int>(n.concurrency);
    if (cap >= 0) info.queue_capacity = cap;
    info.discipline = n.discipline;
    info.service_time = n.service.Describe();
    m.nodes.push_back(std::move(info));
    m.node_models.push_back(std::move(n));
  }
}

// Downstream calls, now that every node exists (classes refer to pools of nodes).
void AddCalls(const Described& described, Simulator::Impl* mp, Diagnostics* diags) {
  Simulator::Impl& m = *mp;
  const MeshModel& model = m.graph->model();
  for (std::size_t wi = 0; wi < model.workloads.size(); ++wi) {
    const Workload& w = model.workloads[wi];
    const auto it = described.find(w.meta.namespace_ + "/" + w.meta.name);
    if (it == described.end()) continue;
    Simulator::Impl::NodeModel& n = m.node_models[m.node_of_workload[wi]];
    for (bool forward : {false, true}) {
      const auto& list = forward ? it->second->behaviour.next : it->second->behaviour.calls;
      for (const DownstreamCall& call : list) {
        if (n.identity == kNoId) {
          diags->Report(DiagCode::MP6002, call.loc,
                        "workload " + it->first + " runs as no known identity");
          continue;
        }
        auto cls = m.MakeClass(n.identity, call.to, call.port, call.request, call.loc,
                               call.required, diags);
        if (!cls) continue;

        Simulator::Impl::CallRef ref{*cls, call.probability, call.count, call.required, call.loc};
        (forward ? m.node_models[m.node_of_workload[wi]].next
                 : m.node_models[m.node_of_workload[wi]].calls)
            .push_back(ref);
      }
    }
  }
}

// The nodes a call class can land on: every replica of every target pool.
std::set<std::uint32_t> CallTargets(const Simulator::Impl& m, std::uint32_t cls) {
  std::set<std::uint32_t> out;
  for (const auto& t : m.classes[cls].targets) {
    for (std::uint32_t replica : m.pools[t.pool].members) out.insert(m.replica_node[replica]);
  }
  return out;
}

std::string NodeName(const Simulator::Impl& m, std::uint32_t n) {
  return m.nodes[n].workload.namespace_ + "/" + m.nodes[n].workload.name;
}

// A path from `from` to `to` over the edges `follow` admits (breadth first, so the
// shortest), as node indices; empty when there is none.
std::vector<std::uint32_t> PathBetween(
    const std::vector<std::vector<std::pair<std::uint32_t, bool>>>& adj, std::uint32_t from,
    std::uint32_t to, bool only_certain_forwarding) {
  std::vector<std::int64_t> parent(adj.size(), -1);
  std::vector<std::uint32_t> queue{from};
  parent[from] = from;
  for (std::size_t qi = 0; qi < queue.size(); ++qi) {
    const std::uint32_t u = queue[qi];
    if (u == to && qi > 0) break;
    for (const auto& [v, eligible] : adj[u]) {
      if (only_certain_forwarding && !eligible) continue;
      if (v == to) {
        std::vector<std::uint32_t> path{to};
        for (std::uint32_t x = u; x != from; x = static_cast<std::uint32_t>(parent[x]))
          path.push_back(x);
        path.push_back(from);
        std::reverse(path.begin(), path.end());
        return path;
      }
      if (parent[v] < 0) {
        parent[v] = u;
        queue.push_back(v);
      }
    }
  }
  return {};
}

// MP6001 for cycles no run can get out of: a synchronous call that can come back to the
// caller (its workers wait on requests queued behind themselves: a deadlock, or unbounded
// recursion), and forwarding (`next`) that returns with probability 1 at every hop (a
// request that never leaves). Cycles with an exit (Jackson feedback) are fine.
void CheckCallCycles(const Simulator::Impl& m, Diagnostics* diags) {
  const std::size_t n = m.node_models.size();
  // adj[u]: (v, whether the hop is forwarding with probability 1)
  std::vector<std::vector<std::pair<std::uint32_t, bool>>> adj(n);
  for (std::uint32_t u = 0; u < n; ++u) {
    for (bool forward : {false, true}) {
      const auto& list = forward ? m.node_models[u].next : m.node_models[u].calls;
      for (const auto& c : list) {
        for (std::uint32_t v : CallTargets(m, c.cls))
          adj[u].push_back({v, forward && c.probability >= 1});
      }
    }
  }
  std::set<std::uint32_t> reported;
  // The first cycle through hop u -> (a node of c), as "a -> b -> a"; "" when none.
  auto cycle_through = [&](std::uint32_t u, const Simulator::Impl::CallRef& c,
                           bool only_certain) -> std::string {
    for (std::uint32_t v : CallTargets(m, c.cls)) {
      std::vector<std::uint32_t> back = PathBetween(adj, v, u, only_certain);
      if (v != u && back.empty()) continue;
      if (v == u) back = {u};
      std::string text = NodeName(m, u);
      for (std::uint32_t x : back) text += " -> " + NodeName(m, x);
      return text;
    }
    return "";
  };
  for (std::uint32_t u = 0; u < n; ++u) {
    for (bool forward : {false, true}) {
      for (const auto& c : forward ? m.node_models[u].next : m.node_models[u].calls) {
        if (forward && c.probability < 1) continue;
        const std::string cycle = cycle_through(u, c, forward);
        if (cycle.empty() || !reported.insert(u).second) continue;
        diags->Report(DiagCode::MP6001, c.loc,
                      forward ? "forwarding cycle " + cycle +
                                    " with probability 1 at every hop: a request never leaves; "
                                    "give some hop a probability below 1"
                              : "synchronous call cycle " + cycle +
                                    ": each request waits for a request queued behind it (a "
                                    "deadlock once the workers are busy); make one hop "
                                    "asynchronous (`next`) or remove it");
      }
    }
  }
}

void AddSources(const ControlOptions& control, Simulator::Impl* mp, Diagnostics* diags) {
  Simulator::Impl& m = *mp;
  const Scenario& scenario = m.scenario;
  const RouteGraph& graph = *m.graph;
  for (const TrafficSource& s : scenario.sources) {
    const auto name = NamespacedName::Parse(s.from, "");
    const IdentityId from = name ? graph.FindIdentity(name->namespace_, name->name) : kNoId;
    if (from == kNoId) {
      diags->Report(DiagCode::MP6002, s.loc,
                    "no identity " + s.from +
                        " in the mesh (a ServiceAccount that runs a workload, is declared, or "
                        "is named by a TrafficTarget)");
      continue;
    }
    Simulator::Impl::SourceModel sm;
    const auto source_index = static_cast<std::size_t>(&s - scenario.sources.data());
    sm.gated = std::find(control.gated_sources.begin(), control.gated_sources.end(),
                         source_index) != control.gated_sources.end();
    sm.name = s.name;
    sm.arrival = s.arrival;
    sm.schedule = s.schedule;
    for (int k = 0; k < 2; ++k) {
      sm.mmpp_rates[k] = s.mmpp_rates[k];
      sm.mmpp_durations[k] = s.mmpp_durations[k];
    }
    double total = 0, run = 0;
    for (const RequestShape& r : s.mix) total += r.weight;
    bool ok = true;
    for (const RequestShape& r : s.mix) {
      auto cls = m.MakeClass(from, s.to, s.port, r, s.loc, true, diags);
      if (!cls) {
        ok = false;
        break;
      }
      m.classes[*cls].source = static_cast<std::uint32_t>(source_index);
      sm.classes.push_back(*cls);
      run += r.weight / total;
      sm.cumulative.push_back(run);
    }
    if (!ok) continue;
    sm.cumulative.back() = 1.0;
    m.sources.push_back(std::move(sm));
  }
}

void CheckRoutes(const Simulator::Impl& m, Diagnostics* diags) {
  const Scenario& scenario = m.scenario;
  const RouteGraph& graph = *m.graph;
  for (const RoutePolicy& p : scenario.routes) {
    const auto name = NamespacedName::Parse(p.service, "");
    if (!name || graph.FindService(name->namespace_, name->name) == kNoId) {
      diags->Report(DiagCode::MP6002, p.loc, "no Service " + p.service + " in the mesh");
    }
  }
}

}  // namespace

Simulator::Simulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Simulator::~Simulator() = default;
const std::vector<EdgeInfo>& Simulator::edges() const { return impl_->edges; }
const std::vector<NodeInfo>& Simulator::nodes() const { return impl_->nodes; }
std::size_t Simulator::window_count(double duration) const {
  return static_cast<std::size_t>(std::ceil(duration / impl_->scenario.window - kTimeTolerance));
}

std::unique_ptr<Simulator> Simulator::Create(const Scenario& scenario, const RouteGraph& graph,
                                             Diagnostics* diags) {
  return Create(scenario, graph, diags, ControlOptions{});
}

std::unique_ptr<Simulator> Simulator::Create(const Scenario& scenario, const RouteGraph& graph,
                                             Diagnostics* diags, const ControlOptions& control) {
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  m.scenario = scenario;
  m.dynamic_splits.insert(control.dynamic_splits.begin(), control.dynamic_splits.end());
  m.graph = &graph;
  m.index = std::make_unique<ModelIndex>(graph.model());
  m.zero_network = scenario.network_latency.kind() == Distribution::Kind::kDeterministic &&
                   scenario.network_latency.Mean() == 0;
  const std::size_t errors_before = diags->Count(Severity::kError);
  const Described described = DescribedWorkloads(m.scenario, *m.index, diags);
  AddNodes(described, &m);
  for (const auto& [node, as] : control.adoptable_identities) {
    if (node < m.node_models.size() && as < m.node_models.size()) {
      m.adoptable[static_cast<std::uint32_t>(node)] = m.node_models[as].identity;
    }
  }
  AddCalls(described, &m, diags);
  CheckCallCycles(m, diags);
  AddSources(control, &m, diags);
  CheckRoutes(m, diags);
  CheckSloEdges(scenario.slos, m.edges, m.nodes, diags);
  for (std::size_t n : control.watched_nodes) {
    if (n < m.node_models.size()) m.node_models[n].watched = true;
  }
  if (diags->Count(Severity::kError) > errors_before) return nullptr;
  return std::unique_ptr<Simulator>(new Simulator(std::move(impl)));
}

}  // namespace meshproof::sim
