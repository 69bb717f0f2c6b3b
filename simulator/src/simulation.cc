#include "meshproof/simulator/simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "meshproof/simulator/control.h"
#include "meshproof/simulator/histogram.h"
#include "meshproof/simulator/random.h"
#include "meshproof/solver/query.h"

namespace meshproof::sim {

namespace {

constexpr std::uint32_t kNone = UINT32_MAX;
constexpr double kInf = std::numeric_limits<double>::infinity();

// HTTP-like outcome codes used inside the engine.
constexpr std::uint16_t kOk = 200;
constexpr std::uint16_t kDenied = 403;
constexpr std::uint16_t kServerError = 500;
constexpr std::uint16_t kBadGateway = 502;      // a required downstream call failed
constexpr std::uint16_t kUnavailable = 503;     // rejected by a full queue, or no endpoint
constexpr std::uint16_t kGatewayTimeout = 504;  // per-try or request timeout

}  // namespace

std::uint64_t ReplicationSeed(std::uint64_t seed, int r) {
  return SplitMix64(seed ^ SplitMix64(static_cast<std::uint64_t>(r) + 0x6d657368ULL));
}

std::string EdgeInfo::key() const {
  const char* s = side == EdgeSide::kServer ? "0" : side == EdgeSide::kClient ? "1" : "2";
  return std::string(s) + "|" + resource.namespace_ + "/" + resource.name + "|" + peer.namespace_ +
         "/" + peer.name + "|" + backend;
}

// ---------------------------------------------------------------------------------------
// The compiled scenario.

struct Simulator::Impl {
  struct CallRef {
    std::uint32_t cls = 0;
    double probability = 1;
    int count = 1;
    bool required = true;
  };
  struct NodeModel {
    int replicas = 1;
    std::uint32_t concurrency = 1;
    std::int64_t queue_capacity = -1;  // -1: unbounded
    Discipline discipline = Discipline::kFifo;
    Distribution service;
    double error_rate = 0;
    std::vector<CallRef> calls;  // synchronous
    std::vector<CallRef> next;   // forwarding
    std::uint32_t first_replica = 0;
    IdentityId identity = kNoId;
    bool watched = false;  // a Controller observes its server-side responses
  };
  struct Pool {
    std::vector<std::uint32_t> members;          // replica ids
    std::vector<std::uint32_t> member_endpoint;  // index into the Service's endpoints
    Balancing balancing = Balancing::kRoundRobin;
  };
  struct Target {
    std::uint32_t pool = 0;
    std::vector<std::uint8_t> allowed;       // per pool member
    std::vector<std::uint32_t> server_edge;  // per pool member
    std::uint32_t split_edge = kNone;
  };
  struct Policy {
    double timeout = 0;
    RetryPolicy retry;
  };
  struct ClassModel {
    std::uint32_t client_edge = 0;
    Policy policy;
    std::vector<Target> targets;
    std::vector<double> cumulative;  // over targets
    bool required = true;
    std::uint32_t source = kNone;  // the traffic source whose requests these are, if any
    // A dynamic split (weights set by a Controller): the model split and, per target, the
    // backend index in TrafficSplit::backends.
    std::uint32_t dynamic_split = kNone;
    std::vector<std::size_t> target_backend;
  };
  struct SourceModel {
    std::vector<std::uint32_t> classes;
    std::vector<double> cumulative;
    ArrivalProcess arrival = ArrivalProcess::kPoisson;
    std::vector<RatePoint> schedule;
    bool gated = false;  // off until a Controller starts it
  };

  Scenario scenario;
  const RouteGraph* graph = nullptr;
  std::vector<EdgeInfo> edges;
  std::vector<NodeInfo> nodes;
  std::vector<NodeModel> node_models;
  std::vector<std::uint32_t> replica_node;
  std::vector<Pool> pools;
  std::vector<ClassModel> classes;
  std::vector<SourceModel> sources;
  bool zero_network = true;
  std::set<std::size_t> dynamic_splits;
  std::map<std::size_t, std::vector<std::uint32_t>> classes_of_split;

  // Compilation helpers.
  std::map<std::string, std::uint32_t> edge_index;
  std::map<std::tuple<ServiceId, int, int>, std::uint32_t> pool_index;
  std::map<std::size_t, std::uint32_t> node_of_workload;  // model workload index -> node

  std::uint32_t Edge(EdgeInfo info) {
    auto [it, inserted] = edge_index.emplace(info.key(), static_cast<std::uint32_t>(edges.size()));
    if (inserted) edges.push_back(std::move(info));
    return it->second;
  }

  ObjectRef IdentityRef(IdentityId id) const {
    const Identity& i = graph->identities()[id];
    return {"ServiceAccount", i.namespace_, i.name};
  }

  bool Admits(IdentityId source, IdentityId dest, int target_port, PortProtocol protocol,
              const RequestShape& r) const {
    const Profile& profile = graph->profile();
    if (!profile.evaluates_access) return true;
    const PortAccess access = graph->Access(source, dest, target_port, protocol);
    if (access.level == PortAccess::Level::kAll) return true;
    if (access.level == PortAccess::Level::kNone) return false;
    const MeshModel& model = graph->model();
    for (const GrantedMatch& gm : access.matches) {
      const HttpMatch& m = model.http_route_groups[gm.group].matches[gm.match];
      if (MatchAdmits(m, profile, r.method, r.path, r.headers)) return true;
    }
    return false;
  }

  // Whether the request takes part in the split's A/B routing (spec 3.2: requests that
  // match none of the split's routes go to the root Service itself).
  bool SplitMatches(const SplitNode& split, const RequestShape& r) const {
    const MeshModel& model = graph->model();
    const TrafficSplit& ts = model.traffic_splits[split.split];
    if (ts.matches.empty() || !graph->profile().split_matches_supported) return true;
    for (const SplitMatchRef& ref : ts.matches) {
      for (const HTTPRouteGroup& g : model.http_route_groups) {
        if (g.meta.namespace_ != ts.meta.namespace_ || g.meta.name != ref.name) continue;
        for (const HttpMatch& m : g.matches) {
          if (MatchAdmits(m, graph->profile(), r.method, r.path, r.headers)) return true;
        }
      }
    }
    return false;
  }

  std::uint32_t PoolFor(ServiceId sid, int port, Balancing balancing) {
    const auto key = std::make_tuple(sid, port, static_cast<int>(balancing));
    auto it = pool_index.find(key);
    if (it != pool_index.end()) return it->second;
    Pool pool;
    pool.balancing = balancing;
    const ServiceNode& svc = graph->services()[sid];
    for (const ServicePortInfo& p : svc.ports) {
      if (p.port != port) continue;
      for (std::size_t e = 0; e < svc.endpoints.size(); ++e) {
        if (p.target_ports[e] == 0) continue;  // a named targetPort that does not resolve
        const NodeModel& n = node_models[node_of_workload.at(svc.endpoints[e].workload)];
        for (int k = 0; k < n.replicas; ++k) {
          pool.members.push_back(n.first_replica + static_cast<std::uint32_t>(k));
          pool.member_endpoint.push_back(static_cast<std::uint32_t>(e));
        }
      }
    }
    const auto id = static_cast<std::uint32_t>(pools.size());
    pools.push_back(std::move(pool));
    pool_index.emplace(key, id);
    return id;
  }

  Target MakeTarget(IdentityId source, ServiceId sid, int port, Balancing balancing,
                    const RequestShape& r) {
    Target t;
    t.pool = PoolFor(sid, port, balancing);
    const ServiceNode& svc = graph->services()[sid];
    const ServicePortInfo* info = nullptr;
    for (const ServicePortInfo& p : svc.ports) {
      if (p.port == port) info = &p;
    }
    std::map<std::uint32_t, std::pair<std::uint8_t, std::uint32_t>> per_endpoint;
    for (std::size_t i = 0; i < pools[t.pool].members.size(); ++i) {
      const std::uint32_t e = pools[t.pool].member_endpoint[i];
      auto it = per_endpoint.find(e);
      if (it == per_endpoint.end()) {
        const Endpoint& ep = svc.endpoints[e];
        const bool ok = Admits(source, ep.identity, info->target_ports[e], info->protocol, r);
        const Workload& w = graph->model().workloads[ep.workload];
        EdgeInfo edge;
        edge.side = EdgeSide::kServer;
        edge.resource = {WorkloadKindName(w.workload_kind), w.meta.namespace_, w.meta.name};
        edge.peer = IdentityRef(source);
        it = per_endpoint.emplace(e, std::make_pair(static_cast<std::uint8_t>(ok), Edge(edge)))
                 .first;
      }
      t.allowed.push_back(it->second.first);
      t.server_edge.push_back(it->second.second);
    }
    return t;
  }

  const RoutePolicy* PolicyFor(const std::string& service) const {
    for (const RoutePolicy& p : scenario.routes) {
      if (p.service == service) return &p;
    }
    return nullptr;
  }

  // A request class: one source identity sending one request shape to one Service port.
  std::optional<std::uint32_t> MakeClass(IdentityId source, const std::string& to,
                                         std::optional<int> port, const RequestShape& r,
                                         const Loc& loc, bool required, Diagnostics* diags) {
    const auto slash = to.find('/');
    const ServiceId sid = graph->FindService(to.substr(0, slash), to.substr(slash + 1));
    if (sid == kNoId) {
      diags->Report(DiagCode::MP6002, loc, "no Service " + to + " in the mesh");
      return std::nullopt;
    }
    const ServiceNode& svc = graph->services()[sid];
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
        return std::nullopt;
      }
    } else if (svc.ports.size() == 1) {
      p = svc.ports[0].port;
    } else {
      diags->Report(DiagCode::MP6002, loc,
                    "Service " + to + " has " + std::to_string(svc.ports.size()) +
                        " ports: say which with `port:`");
      return std::nullopt;
    }
    const RoutePolicy* rp = PolicyFor(to);
    const Balancing balancing =
        rp != nullptr && rp->balancing ? *rp->balancing : scenario.balancing;
    ClassModel c;
    c.required = required;
    if (rp != nullptr) c.policy = Policy{rp->timeout, rp->retry};
    EdgeInfo client;
    client.side = EdgeSide::kClient;
    client.resource = IdentityRef(source);
    client.peer = {"Service", svc.namespace_, svc.name};
    c.client_edge = Edge(client);

    const SplitNode* split = graph->AppliedSplit(sid);
    const bool dynamic = split != nullptr && dynamic_splits.count(split->split) > 0;
    if (split != nullptr && SplitMatches(*split, r)) {
      const MeshModel& model = graph->model();
      const TrafficSplit& ts = model.traffic_splits[split->split];
      double total = 0;
      auto has_port = [&](ServiceId b) {
        for (const ServicePortInfo& sp : graph->services()[b].ports) {
          if (sp.port == p) return true;
        }
        return false;
      };
      for (const SplitBackendNode& b : split->backends) {
        if (b.service_id != kNoId && (b.share > 0 || dynamic) && has_port(b.service_id))
          total += b.share;
      }
      double run = 0;
      for (const SplitBackendNode& b : split->backends) {
        if (b.service_id == kNoId || (b.share <= 0 && !dynamic) || !has_port(b.service_id))
          continue;
        Target t = MakeTarget(source, b.service_id, p, balancing, r);
        EdgeInfo se;
        se.side = EdgeSide::kSplit;
        se.resource = {"TrafficSplit", ts.meta.namespace_, ts.meta.name};
        se.peer = IdentityRef(source);
        se.apex = ts.root_service;
        se.backend = b.service;
        se.weight = ts.backends[b.backend_index].weight_text;
        t.split_edge = Edge(se);
        c.targets.push_back(std::move(t));
        c.target_backend.push_back(b.backend_index);
        run += total > 0 ? b.share / total : 0;
        c.cumulative.push_back(run);
      }
      if (!c.cumulative.empty() && total > 0) c.cumulative.back() = 1.0;
      if (dynamic) {
        c.dynamic_split = static_cast<std::uint32_t>(split->split);
        classes_of_split[split->split].push_back(static_cast<std::uint32_t>(classes.size()));
      }
    } else {
      c.targets.push_back(MakeTarget(source, sid, p, balancing, r));
      c.cumulative.push_back(1.0);
    }
    classes.push_back(std::move(c));
    return static_cast<std::uint32_t>(classes.size() - 1);
  }
};

Simulator::Simulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Simulator::~Simulator() = default;
const std::vector<EdgeInfo>& Simulator::edges() const { return impl_->edges; }
const std::vector<NodeInfo>& Simulator::nodes() const { return impl_->nodes; }
std::size_t Simulator::window_count(double duration) const {
  return static_cast<std::size_t>(std::ceil(duration / impl_->scenario.window - 1e-9));
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
  m.zero_network = scenario.network_latency.kind() == Distribution::Kind::kDeterministic &&
                   scenario.network_latency.Mean() == 0;
  const MeshModel& model = graph.model();
  const std::size_t errors_before = diags->Count(Severity::kError);

  // Behaviour per workload: its own entry, then spec.defaults, then built-in defaults.
  std::map<std::string, const WorkloadSpec*> described;
  for (const WorkloadSpec& w : scenario.workloads) {
    const auto slash = w.workload.find('/');
    bool found = false;
    for (const Workload& mw : model.workloads) {
      if (mw.meta.namespace_ == w.workload.substr(0, slash) &&
          mw.meta.name == w.workload.substr(slash + 1)) {
        found = true;
      }
    }
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
    Impl::NodeModel n;
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
  // Downstream calls, now that every node exists (classes refer to pools of nodes).
  for (std::size_t wi = 0; wi < model.workloads.size(); ++wi) {
    const Workload& w = model.workloads[wi];
    const auto it = described.find(w.meta.namespace_ + "/" + w.meta.name);
    if (it == described.end()) continue;
    Impl::NodeModel& n = m.node_models[m.node_of_workload[wi]];
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

        Impl::CallRef ref{*cls, call.probability, call.count, call.required};
        (forward ? m.node_models[m.node_of_workload[wi]].next
                 : m.node_models[m.node_of_workload[wi]].calls)
            .push_back(ref);
      }
    }
  }
  for (const TrafficSource& s : scenario.sources) {
    const auto slash = s.from.find('/');
    const IdentityId from = graph.FindIdentity(s.from.substr(0, slash), s.from.substr(slash + 1));
    if (from == kNoId) {
      diags->Report(DiagCode::MP6002, s.loc,
                    "no identity " + s.from +
                        " in the mesh (a ServiceAccount that runs a workload, is declared, or "
                        "is named by a TrafficTarget)");
      continue;
    }
    Impl::SourceModel sm;
    const auto source_index = static_cast<std::size_t>(&s - scenario.sources.data());
    sm.gated = std::find(control.gated_sources.begin(), control.gated_sources.end(),
                         source_index) != control.gated_sources.end();
    sm.arrival = s.arrival;
    sm.schedule = s.schedule;
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
  for (const RoutePolicy& p : scenario.routes) {
    const auto slash = p.service.find('/');
    if (graph.FindService(p.service.substr(0, slash), p.service.substr(slash + 1)) == kNoId) {
      diags->Report(DiagCode::MP6002, p.loc, "no Service " + p.service + " in the mesh");
    }
  }
  for (std::size_t n : control.watched_nodes) {
    if (n < m.node_models.size()) m.node_models[n].watched = true;
  }
  if (diags->Count(Severity::kError) > errors_before) return nullptr;
  return std::unique_ptr<Simulator>(new Simulator(std::move(impl)));
}

// ---------------------------------------------------------------------------------------
// One replication.

namespace {

enum EventKind : std::uint32_t {
  kEvArrival,
  kEvAtServer,
  kEvServiceDone,
  kEvPsDone,
  kEvResponse,
  kEvPerTryTimeout,
  kEvCallTimeout,
  kEvRetry,
  kEvTick,
};

// A POD event: 32 bytes, so the heap stays in cache.
struct Event {
  double time;
  std::uint64_t seq;
  std::uint32_t kind;
  std::uint32_t id;
  std::uint32_t gen;
  std::uint32_t pad;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

// A growable ring buffer of request ids: a replica's FIFO queue.
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  void push(std::uint32_t v) {
    if (size_ == buf_.size()) Grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  std::uint32_t pop() {
    const std::uint32_t v = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }

 private:
  void Grow() {
    std::vector<std::uint32_t> next(buf_.empty() ? 8 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) next[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_ = std::move(next);
    head_ = 0;
  }
  std::vector<std::uint32_t> buf_;
  std::size_t head_ = 0, size_ = 0;
};

// Request state lives in slabs recycled through free lists: memory follows the requests in
// flight, not the requests simulated. Freeing bumps the slot's generation, so an event
// that names a recycled slot (a stale timer) can tell.
template <typename T>
class Slab {
 public:
  std::uint32_t Alloc() {
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<std::uint32_t>(items_.size());
      items_.emplace_back();
    }
    ++live_;
    return id;
  }
  void Free(std::uint32_t id) {
    ++items_[id].gen;
    free_.push_back(id);
    --live_;
  }
  T& operator[](std::uint32_t id) { return items_[id]; }
  std::size_t live() const { return live_; }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

struct CallState {
  std::uint32_t cls = 0;
  std::uint32_t gen = 0;
  std::uint32_t parent = kNone;  // the attempt waiting for this call, or none (a source's request)
  std::uint32_t parent_gen = 0;
  std::uint32_t live_attempt = kNone;
  std::uint32_t attempts = 0;
  double start = 0;
  double deadline = kInf;
};

enum class Phase : std::uint8_t {
  kToServer,
  kQueued,
  kInService,
  kWaiting,
  kForwarded,
  kResponding
};

struct AttemptState {
  std::uint32_t call = 0, call_gen = 0, gen = 0;
  std::uint32_t replica = 0, server_edge = 0, split_edge = kNone;
  std::uint32_t pending = 0;
  std::uint16_t status = kOk;
  Phase phase = Phase::kToServer;
  bool allowed = true;
  bool in_system = false;
  bool child_failed = false;
  std::uint16_t child_status = kOk;
  double sent = 0, arrived = 0;
};

struct ReplicaState {
  std::uint32_t busy = 0;         // FIFO: requests in service (workers held)
  std::uint32_t in_system = 0;    // queued + in service (+ waiting on downstream calls)
  std::uint32_t outstanding = 0;  // for least-request balancing: sent, not yet answered
  Ring queue;
  // Processor sharing: virtual time V advances at each job's service rate; a job finishes
  // when V reaches its finish tag.
  std::vector<std::pair<double, std::uint32_t>> ps;  // min-heap of (finish tag, attempt)
  double ps_v = 0, ps_last = 0;
  std::uint32_t ps_version = 0;
};

struct NodeRun {
  double n = 0, busy = 0, last = 0, area = 0, busy_area = 0;
  std::uint64_t arrivals = 0, blocked = 0, completions = 0;
  double sojourn = 0;
};

struct EdgeRun {
  LatencyHistogram run, win;
  std::uint64_t s = 0, f = 0, d = 0, ws = 0, wf = 0, wd = 0;
  std::size_t window = 0;
  std::vector<MetricValues> windows;
};

MetricValues Summarise(const LatencyHistogram& h, std::uint64_t s, std::uint64_t f, std::uint64_t d,
                       double span) {
  MetricValues v;
  v.success = static_cast<double>(s);
  v.failure = static_cast<double>(f);
  v.denied = static_cast<double>(d);
  v.rps = span > 0 ? static_cast<double>(s + f) / span : 0;
  v.mean = h.mean();
  v.p50 = h.Quantile(0.50);
  v.p90 = h.Quantile(0.90);
  v.p99 = h.Quantile(0.99);
  return v;
}

class Replication final : public ReplicationControl {
 public:
  Replication(const Simulator::Impl& m, std::uint64_t seed, double duration,
              std::atomic<double>* progress, Controller* controller)
      : m_(m),
        controller_(controller),
        rng_(seed),
        end_(duration),
        warmup_(std::min(m.scenario.warmup, duration)),
        window_(m.scenario.window),
        progress_(progress) {
    replicas_.resize(m.replica_node.size());
    nodes_.resize(m.node_models.size());
    edges_.resize(m.edges.size());
    rr_.assign(m.pools.size(), 0);
    active_.resize(m.sources.size());
    source_gen_.assign(m.sources.size(), 0);
    for (const auto& nm : m.node_models) {
      node_service_.push_back(nm.service);
      node_error_.push_back(nm.error_rate);
    }
    class_cumulative_.resize(m.classes.size());
    windows_ = static_cast<std::size_t>(std::ceil(duration / window_ - 1e-9));
  }

  // --- ReplicationControl ---------------------------------------------------------------
  double now() const override { return now_; }
  void SetSplitWeights(std::size_t split, const std::vector<double>& weights) override {
    auto it = m_.classes_of_split.find(split);
    if (it == m_.classes_of_split.end()) return;
    for (std::uint32_t cls : it->second) {
      const auto& c = m_.classes[cls];
      std::vector<double>& cum = class_cumulative_[cls];
      cum.assign(c.targets.size(), 0.0);
      double total = 0;
      for (std::size_t t = 0; t < c.targets.size(); ++t) {
        const std::size_t b = c.target_backend[t];
        total += b < weights.size() ? std::max(0.0, weights[b]) : 0.0;
        cum[t] = total;
      }
      for (double& x : cum) x = total > 0 ? x / total : 0;
      if (total > 0) cum.back() = 1.0;
    }
  }
  void SetSourceActive(std::size_t source, bool active) override {
    if (source >= active_.size() || (active_[source] != 0) == active) return;
    active_[source] = active ? 1 : 0;
    ++source_gen_[source];
    if (active) ScheduleArrival(static_cast<std::uint32_t>(source), now_);
  }
  void SetNodeBehaviour(std::size_t node, const Distribution& service_time,
                        double error_rate) override {
    node_service_[node] = service_time;
    node_error_[node] = error_rate;
  }
  void ScheduleTick(double t) override { Schedule(std::max(t, now_), kEvTick, 0, 0); }
  void Stop() override { stopped_ = true; }

  ReplicationResult Execute() {
    if (controller_ != nullptr) controller_->OnStart(*this);
    for (std::uint32_t s = 0; s < m_.sources.size(); ++s) {
      if (!m_.sources[s].gated) SetSourceActive(s, true);
    }
    std::uint64_t events = 0;
    while (!stopped_ && !heap_.empty() && heap_.front().time <= end_) {
      std::pop_heap(heap_.begin(), heap_.end(), Later());
      const Event e = heap_.back();
      heap_.pop_back();
      now_ = e.time;
      ++events;
      Dispatch(e);
      if ((events & 0xffff) == 0 && progress_ != nullptr)
        progress_->store(now_ / end_, std::memory_order_relaxed);
    }
    if (stopped_) end_ = now_;
    now_ = end_;
    ReplicationResult r;
    r.events = events;
    r.requests = requests_;
    r.peak_in_flight = peak_in_flight_;
    r.peak_pending_events = peak_events_;
    const double span = end_ - warmup_;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      NodeChange(static_cast<std::uint32_t>(i), 0, 0);
      const NodeRun& n = nodes_[i];
      const auto& nm = m_.node_models[i];
      NodeValues v;
      v.arrivals = static_cast<double>(n.arrivals);
      v.blocked = static_cast<double>(n.blocked);
      v.completions = static_cast<double>(n.completions);
      v.throughput = span > 0 ? v.completions / span : 0;
      v.blocking = n.arrivals > 0 ? v.blocked / v.arrivals : 0;
      v.mean_in_system = span > 0 ? n.area / span : 0;
      v.mean_time_in_system = n.completions > 0 ? n.sojourn / v.completions : 0;
      const double servers = static_cast<double>(nm.replicas) * nm.concurrency;
      v.utilisation = span > 0 && servers > 0 ? n.busy_area / (span * servers) : 0;
      r.nodes.push_back(v);
    }
    for (std::size_t i = 0; i < edges_.size(); ++i) {
      EdgeRun& e = edges_[i];
      CloseWindows(e, windows_);
      r.edges.push_back(Summarise(e.run, e.s, e.f, e.d, span));
      r.windows.push_back(std::move(e.windows));
    }
    if (progress_ != nullptr) progress_->store(1.0, std::memory_order_relaxed);
    return r;
  }

 private:
  // --- events ---------------------------------------------------------------------------
  void Schedule(double t, std::uint32_t kind, std::uint32_t id, std::uint32_t gen) {
    heap_.push_back(Event{t, seq_++, kind, id, gen, 0});
    std::push_heap(heap_.begin(), heap_.end(), Later());
    peak_events_ = std::max(peak_events_, heap_.size());
  }

  void Dispatch(const Event& e) {
    switch (e.kind) {
      case kEvArrival:
        if (e.gen == source_gen_[e.id] && active_[e.id] != 0) OnArrival(e.id);
        break;
      case kEvTick:
        if (controller_ != nullptr) controller_->OnTick(*this);
        break;
      case kEvAtServer:
        OnAtServer(e.id);
        break;
      case kEvServiceDone:
        AfterService(e.id);
        break;
      case kEvPsDone:
        OnPsDone(e.id, e.gen);
        break;
      case kEvResponse:
        OnResponse(e.id);
        break;
      case kEvPerTryTimeout:
        OnPerTryTimeout(e.id, e.gen);
        break;
      case kEvCallTimeout:
        OnCallTimeout(e.id, e.gen);
        break;
      case kEvRetry:
        if (calls_[e.id].gen == e.gen) SendAttempt(e.id);
        break;
      default:
        break;
    }
  }

  double Network() { return m_.zero_network ? 0.0 : m_.scenario.network_latency.Sample(rng_); }

  // --- traffic sources ------------------------------------------------------------------
  double RateAt(const Simulator::Impl::SourceModel& s, double t, double* next_change) const {
    double rate = 0;
    *next_change = kInf;
    for (std::size_t i = 0; i < s.schedule.size(); ++i) {
      if (s.schedule[i].at <= t) {
        rate = s.schedule[i].rate;
      } else {
        *next_change = s.schedule[i].at;
        break;
      }
    }
    return rate;
  }

  void ScheduleArrival(std::uint32_t s, double from) {
    const auto& src = m_.sources[s];
    double t = from;
    // Constant arrivals carry the unfinished part of an interval across a rate change (one
    // arrival per unit of integrated rate); Poisson restarts at the change (memoryless).
    double need = 1.0;
    for (;;) {
      double change = kInf;
      const double rate = RateAt(src, t, &change);
      if (rate <= 0) {
        if (change == kInf) return;
        t = change;
        continue;
      }
      double next;
      if (src.arrival == ArrivalProcess::kPoisson) {
        next = t + rng_.Exponential(1.0 / rate);
        if (next > change) {
          t = change;
          continue;
        }
      } else {
        const double available = (change - t) * rate;
        if (available < need) {
          need -= available;
          t = change;
          continue;
        }
        next = t + need / rate;
      }
      if (next > end_) return;
      Schedule(next, kEvArrival, s, source_gen_[s]);
      return;
    }
  }

  void OnArrival(std::uint32_t s) {
    const auto& src = m_.sources[s];
    std::uint32_t cls = src.classes[0];
    if (src.classes.size() > 1) {
      const double u = rng_.Uniform01();
      std::size_t i = 0;
      while (i + 1 < src.cumulative.size() && u > src.cumulative[i]) ++i;
      cls = src.classes[i];
    }
    ++requests_;
    StartCall(cls, kNone, 0);
    ScheduleArrival(s, now_);
  }

  // --- calls (logical requests with retries) --------------------------------------------
  std::uint32_t AllocCall() {
    const std::uint32_t id = calls_.Alloc();
    peak_in_flight_ = std::max(peak_in_flight_, calls_.live() + attempts_.live());
    return id;
  }
  std::uint32_t AllocAttempt() {
    const std::uint32_t id = attempts_.Alloc();
    peak_in_flight_ = std::max(peak_in_flight_, calls_.live() + attempts_.live());
    return id;
  }
  void FreeCall(std::uint32_t id) { calls_.Free(id); }
  void FreeAttempt(std::uint32_t id) { attempts_.Free(id); }

  void StartCall(std::uint32_t cls, std::uint32_t parent, std::uint32_t parent_gen) {
    const std::uint32_t id = AllocCall();
    CallState& c = calls_[id];
    c.cls = cls;
    c.parent = parent;
    c.parent_gen = parent_gen;
    c.live_attempt = kNone;
    c.attempts = 0;
    c.start = now_;
    c.deadline = kInf;
    const auto& policy = m_.classes[cls].policy;
    if (policy.timeout > 0) {
      c.deadline = now_ + policy.timeout;
      Schedule(c.deadline, kEvCallTimeout, id, c.gen);
    }
    SendAttempt(id);
  }

  std::uint32_t PickMember(std::uint32_t pool_id) {
    const auto& pool = m_.pools[pool_id];
    const auto n = static_cast<std::uint32_t>(pool.members.size());
    if (n == 1) return 0;
    switch (pool.balancing) {
      case Balancing::kRoundRobin: {
        const std::uint32_t i = rr_[pool_id];
        rr_[pool_id] = i + 1 == n ? 0 : i + 1;
        return i;
      }
      case Balancing::kRandom:
        return rng_.Below(n);
      case Balancing::kLeastRequest: {
        // Power of two choices (Envoy LEAST_REQUEST): two distinct random members, the one
        // with fewer outstanding requests; ties go to the first draw.
        const std::uint32_t a = rng_.Below(n);
        std::uint32_t b = rng_.Below(n - 1);
        if (b >= a) ++b;
        return replicas_[pool.members[b]].outstanding < replicas_[pool.members[a]].outstanding ? b
                                                                                               : a;
      }
    }
    return 0;
  }

  void SendAttempt(std::uint32_t cid) {
    CallState& c = calls_[cid];
    ++c.attempts;
    const auto& cls = m_.classes[c.cls];
    std::size_t ti = 0;
    if (cls.targets.size() > 1) {
      const std::vector<double>& cum =
          class_cumulative_[c.cls].empty() ? cls.cumulative : class_cumulative_[c.cls];
      const double u = rng_.Uniform01();
      while (ti + 1 < cum.size() && u > cum[ti]) ++ti;
    }
    if (cls.targets.empty() || m_.pools[cls.targets[ti].pool].members.empty()) {
      HandleAttemptResult(cid, kUnavailable);  // no endpoint: 503, as a proxy answers
      return;
    }
    const auto& target = cls.targets[ti];
    const std::uint32_t member = PickMember(target.pool);
    const std::uint32_t aid = AllocAttempt();
    AttemptState& a = attempts_[aid];
    a.call = cid;
    a.call_gen = c.gen;
    a.replica = m_.pools[target.pool].members[member];
    a.server_edge = target.server_edge[member];
    a.split_edge = target.split_edge;
    a.allowed = target.allowed[member] != 0;
    a.pending = 0;
    a.status = kOk;
    a.phase = Phase::kToServer;
    a.in_system = false;
    a.child_failed = false;
    a.child_status = kOk;
    a.sent = now_;
    calls_[cid].live_attempt = aid;
    ++replicas_[a.replica].outstanding;
    if (cls.policy.retry.per_try_timeout > 0) {
      Schedule(now_ + cls.policy.retry.per_try_timeout, kEvPerTryTimeout, aid, a.gen);
    }
    const double d = Network();
    if (d == 0) {
      OnAtServer(aid);
    } else {
      Schedule(now_ + d, kEvAtServer, aid, attempts_[aid].gen);
    }
  }

  void HandleAttemptResult(std::uint32_t cid, std::uint16_t status) {
    CallState& c = calls_[cid];
    if (status < 400) {
      FinishCall(cid, status);
      return;
    }
    const RetryPolicy& p = m_.classes[c.cls].policy.retry;
    const bool gateway =
        status == kBadGateway || status == kUnavailable || status == kGatewayTimeout;
    const bool retryable =
        status != kDenied && ((p.on_5xx && status >= 500) || (p.on_gateway_error && gateway) ||
                              (p.on_connect_failure && status == kUnavailable));
    if (retryable && c.attempts <= static_cast<std::uint32_t>(p.retries) && now_ < c.deadline) {
      // Envoy: fully jittered exponential back-off, base * 2^(n-1), capped.
      const double cap = std::min(
          p.backoff_max, p.backoff_base * std::ldexp(1.0, static_cast<int>(c.attempts) - 1));
      Schedule(now_ + rng_.Uniform01() * cap, kEvRetry, cid, c.gen);
      return;
    }
    FinishCall(cid, status);
  }

  void FinishCall(std::uint32_t cid, std::uint16_t status) {
    const CallState c = calls_[cid];
    const auto& cls = m_.classes[c.cls];
    Record(cls.client_edge, now_ - c.start, status);
    if (cls.source != kNone && controller_ != nullptr)
      controller_->OnSourceRequestDone(cls.source, now_, status);
    FreeCall(cid);
    if (c.parent != kNone) ChildDone(c.parent, c.parent_gen, status, cls.required);
  }

  void OnCallTimeout(std::uint32_t cid, std::uint32_t gen) {
    if (calls_[cid].gen != gen) return;
    calls_[cid].live_attempt = kNone;  // an attempt still out is orphaned; the server keeps working
    FinishCall(cid, kGatewayTimeout);
  }

  void OnPerTryTimeout(std::uint32_t aid, std::uint32_t gen) {
    AttemptState& a = attempts_[aid];
    if (a.gen != gen) return;
    CallState& c = calls_[a.call];
    if (c.gen != a.call_gen || c.live_attempt != aid) return;
    if (a.split_edge != kNone) Record(a.split_edge, now_ - a.sent, kGatewayTimeout);
    c.live_attempt = kNone;
    HandleAttemptResult(a.call, kGatewayTimeout);
  }

  // --- the server side ------------------------------------------------------------------
  void OnAtServer(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    a.arrived = now_;
    if (!a.allowed) {  // the server-side proxy answers 403 without bothering the app
      a.status = kDenied;
      ServerRecord(aid, 0, kDenied);
      Respond(aid);
      return;
    }
    const std::uint32_t node = m_.replica_node[a.replica];
    const auto& nm = m_.node_models[node];
    ReplicaState& r = replicas_[a.replica];
    if (now_ >= warmup_) ++nodes_[node].arrivals;
    if (nm.discipline == Discipline::kFifo) {
      if (r.busy < nm.concurrency) {
        ++r.busy;
        ++r.in_system;
        a.in_system = true;
        NodeChange(node, +1, +1);
        StartService(aid);
        return;
      }
      if (nm.queue_capacity < 0 || r.queue.size() < static_cast<std::size_t>(nm.queue_capacity)) {
        r.queue.push(aid);
        ++r.in_system;
        a.in_system = true;
        a.phase = Phase::kQueued;
        NodeChange(node, +1, 0);
        return;
      }
    } else {
      if (nm.queue_capacity < 0 ||
          r.ps.size() < nm.concurrency + static_cast<std::size_t>(nm.queue_capacity)) {
        ++r.in_system;
        a.in_system = true;
        a.phase = Phase::kInService;
        PsAdvance(r, nm);
        const double before = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
        r.ps.emplace_back(r.ps_v + node_service_[node].Sample(rng_), aid);
        std::push_heap(r.ps.begin(), r.ps.end(), std::greater<>());
        const double after = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
        NodeChange(node, +1, after - before);
        PsReschedule(a.replica, nm);
        return;
      }
    }
    // Rejected: the queue is full (Envoy max_pending_requests overflow).
    if (now_ >= warmup_) ++nodes_[node].blocked;
    a.status = kUnavailable;
    ServerRecord(aid, 0, kUnavailable);
    Respond(aid);
  }

  void StartService(std::uint32_t aid) {
    attempts_[aid].phase = Phase::kInService;
    const std::uint32_t node = m_.replica_node[attempts_[aid].replica];
    Schedule(now_ + node_service_[node].Sample(rng_), kEvServiceDone, aid, attempts_[aid].gen);
  }

  static double PsRate(std::size_t n, std::uint32_t c) {
    return n <= c ? 1.0 : static_cast<double>(c) / static_cast<double>(n);
  }
  void PsAdvance(ReplicaState& r, const Simulator::Impl::NodeModel& nm) {
    if (!r.ps.empty()) r.ps_v += (now_ - r.ps_last) * PsRate(r.ps.size(), nm.concurrency);
    r.ps_last = now_;
  }
  void PsReschedule(std::uint32_t replica, const Simulator::Impl::NodeModel& nm) {
    ReplicaState& r = replicas_[replica];
    ++r.ps_version;
    if (r.ps.empty()) return;
    const double dt =
        std::max(0.0, r.ps.front().first - r.ps_v) / PsRate(r.ps.size(), nm.concurrency);
    Schedule(now_ + dt, kEvPsDone, replica, r.ps_version);
  }
  void OnPsDone(std::uint32_t replica, std::uint32_t version) {
    ReplicaState& r = replicas_[replica];
    if (r.ps_version != version) return;
    const std::uint32_t node = m_.replica_node[replica];
    const auto& nm = m_.node_models[node];
    PsAdvance(r, nm);
    const double before = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
    std::pop_heap(r.ps.begin(), r.ps.end(), std::greater<>());
    const std::uint32_t aid = r.ps.back().second;
    r.ps.pop_back();
    const double after = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
    NodeChange(node, 0, after - before);
    PsReschedule(replica, nm);
    AfterService(aid);
  }

  void AfterService(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    const std::uint32_t node = m_.replica_node[a.replica];
    const auto& nm = m_.node_models[node];
    if (node_error_[node] > 0 && rng_.Bernoulli(node_error_[node])) {
      FinishJob(aid, kServerError);
      return;
    }
    if (!nm.calls.empty()) {
      // A guard count keeps the job alive while children that complete at once report.
      a.phase = Phase::kWaiting;
      a.pending = 1;
      const std::uint32_t gen = a.gen;
      for (const auto& call : nm.calls) {
        if (!rng_.Bernoulli(call.probability)) continue;
        for (int k = 0; k < call.count; ++k) {
          ++attempts_[aid].pending;
          StartCall(call.cls, aid, gen);
        }
      }
      ChildDone(aid, gen, kOk, false);  // release the guard
      return;
    }
    if (!nm.next.empty()) {
      const double u = rng_.Uniform01();
      double run = 0;
      for (const auto& hop : nm.next) {
        run += hop.probability;
        if (u < run) {
          // Forwarding: the worker is free now; the answer comes back down the chain.
          ReleaseWorker(aid);
          attempts_[aid].phase = Phase::kForwarded;
          attempts_[aid].pending = 1;
          StartCall(hop.cls, aid, attempts_[aid].gen);
          return;
        }
      }
    }
    FinishJob(aid, kOk);
  }

  void ChildDone(std::uint32_t aid, std::uint32_t gen, std::uint16_t status, bool required) {
    AttemptState& a = attempts_[aid];
    if (a.gen != gen) return;
    if (status >= 400 && required && !a.child_failed) {
      a.child_failed = true;
      a.child_status = status;
    }
    if (--a.pending > 0) return;
    if (a.phase == Phase::kForwarded) {
      FinishJob(aid, a.child_failed ? a.child_status : kOk);
    } else {
      FinishJob(aid, a.child_failed ? kBadGateway : kOk);
    }
  }

  void ReleaseWorker(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    if (!a.in_system) return;
    a.in_system = false;
    const std::uint32_t node = m_.replica_node[a.replica];
    const auto& nm = m_.node_models[node];
    ReplicaState& r = replicas_[a.replica];
    NodeRun& n = nodes_[node];
    if (now_ >= warmup_) {
      ++n.completions;
      n.sojourn += now_ - a.arrived;
    }
    --r.in_system;
    if (nm.discipline == Discipline::kFifo) {
      if (!r.queue.empty()) {
        const std::uint32_t next = r.queue.pop();
        NodeChange(node, -1, 0);
        StartService(next);
      } else {
        --r.busy;
        NodeChange(node, -1, -1);
      }
    } else {
      NodeChange(node, -1, 0);
    }
  }

  void FinishJob(std::uint32_t aid, std::uint16_t status) {
    ReleaseWorker(aid);
    AttemptState& a = attempts_[aid];
    a.status = status;
    ServerRecord(aid, now_ - a.arrived, status);
    Respond(aid);
  }

  void ServerRecord(std::uint32_t aid, double latency, std::uint16_t status) {
    const AttemptState& a = attempts_[aid];
    Record(a.server_edge, latency, status);
    const std::uint32_t node = m_.replica_node[a.replica];
    if (controller_ != nullptr && m_.node_models[node].watched) {
      controller_->OnServerResponse(node, now_, latency, status);
    }
  }

  void Respond(std::uint32_t aid) {
    attempts_[aid].phase = Phase::kResponding;
    const double d = Network();
    if (d == 0) {
      OnResponse(aid);
    } else {
      Schedule(now_ + d, kEvResponse, aid, attempts_[aid].gen);
    }
  }

  void OnResponse(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    --replicas_[a.replica].outstanding;
    const std::uint32_t cid = a.call;
    CallState& c = calls_[cid];
    if (c.gen != a.call_gen || c.live_attempt != aid) {  // the client gave up on it
      FreeAttempt(aid);
      return;
    }
    const std::uint16_t status = a.status;
    if (a.split_edge != kNone) Record(a.split_edge, now_ - a.sent, status);
    c.live_attempt = kNone;
    FreeAttempt(aid);
    HandleAttemptResult(cid, status);
  }

  // --- metrics --------------------------------------------------------------------------
  void NodeChange(std::uint32_t node, double dn, double dbusy) {
    NodeRun& n = nodes_[node];
    if (now_ > warmup_) {
      const double from = std::max(n.last, warmup_);
      n.area += n.n * (now_ - from);
      n.busy_area += n.busy * (now_ - from);
    }
    n.n += dn;
    n.busy += dbusy;
    n.last = now_;
  }

  void CloseWindows(EdgeRun& e, std::size_t upto) {
    while (e.window < upto && e.window < windows_) {
      const double start = static_cast<double>(e.window) * window_;
      const double span = std::min(window_, end_ - start);
      e.windows.push_back(Summarise(e.win, e.ws, e.wf, e.wd, span));
      if (e.win.count() > 0) e.win.Clear();
      e.ws = e.wf = e.wd = 0;
      ++e.window;
    }
  }

  void Record(std::uint32_t edge, double latency, std::uint16_t status) {
    EdgeRun& e = edges_[edge];
    const auto w = static_cast<std::size_t>(now_ / window_);
    if (w != e.window) CloseWindows(e, w);
    const bool ok = status < 400;
    const bool denied = status == kDenied;
    e.win.Add(latency);
    (ok ? e.ws : e.wf)++;
    if (denied) ++e.wd;
    if (now_ >= warmup_) {
      e.run.Add(latency);
      (ok ? e.s : e.f)++;
      if (denied) ++e.d;
    }
  }

  const Simulator::Impl& m_;
  Controller* controller_;
  bool stopped_ = false;
  std::vector<std::uint8_t> active_;
  std::vector<std::uint32_t> source_gen_;
  std::vector<Distribution> node_service_;
  std::vector<double> node_error_;
  std::vector<std::vector<double>> class_cumulative_;  // dynamic splits: current shares
  Rng rng_;
  double end_, warmup_, window_;
  std::atomic<double>* progress_;
  std::size_t windows_ = 0;
  double now_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<Event> heap_;
  Slab<CallState> calls_;
  Slab<AttemptState> attempts_;
  std::vector<ReplicaState> replicas_;
  std::vector<NodeRun> nodes_;
  std::vector<EdgeRun> edges_;
  std::vector<std::uint32_t> rr_;
  std::uint64_t requests_ = 0;
  std::size_t peak_in_flight_ = 0, peak_events_ = 0;
};

MetricIntervals Aggregate(const std::vector<const MetricValues*>& v) {
  auto iv = [&](double MetricValues::*f) {
    std::vector<double> xs;
    xs.reserve(v.size());
    for (const MetricValues* x : v) xs.push_back(x->*f);
    return ConfidenceInterval(xs, 0.95);
  };
  return {iv(&MetricValues::success), iv(&MetricValues::failure), iv(&MetricValues::denied),
          iv(&MetricValues::rps),     iv(&MetricValues::mean),    iv(&MetricValues::p50),
          iv(&MetricValues::p90),     iv(&MetricValues::p99)};
}

}  // namespace

ReplicationResult Simulator::RunReplication(std::uint64_t seed, double duration,
                                            std::atomic<double>* progress,
                                            Controller* controller) const {
  Replication run(*impl_, seed, duration, progress, controller);
  ReplicationResult r = run.Execute();
  r.seed = seed;
  return r;
}

SimulationResult Simulator::Run(const SimulationOptions& options) const {
  const Scenario& sc = impl_->scenario;
  SimulationResult out;
  out.seed = options.seed.value_or(sc.seed);
  out.replications = std::max(1, options.replications.value_or(sc.replications));
  out.duration = options.duration.value_or(sc.duration);
  out.warmup = std::min(sc.warmup, out.duration);
  out.window = sc.window;
  out.edges = impl_->edges;
  out.nodes = impl_->nodes;
  out.runs.resize(static_cast<std::size_t>(out.replications));

  int jobs = options.jobs > 0 ? options.jobs
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  jobs = std::min(jobs, out.replications);
  std::vector<std::atomic<double>> progress(static_cast<std::size_t>(out.replications));
  for (auto& p : progress) p.store(0);
  std::atomic<int> next{0};
  auto worker = [&] {
    for (;;) {
      const int r = next.fetch_add(1);
      if (r >= out.replications) return;
      out.runs[static_cast<std::size_t>(r)] = RunReplication(
          ReplicationSeed(out.seed, r), out.duration, &progress[static_cast<std::size_t>(r)]);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  if (options.progress) {
    auto fraction = [&] {
      double sum = 0;
      for (auto& p : progress) sum += p.load(std::memory_order_relaxed);
      return sum / out.replications;
    };
    for (;;) {
      const double f = fraction();
      options.progress(f);
      if (f >= 1.0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  for (auto& t : threads) t.join();

  // Aggregation in replication order: the result does not depend on `jobs`.
  const std::size_t edges = out.edges.size();
  const std::size_t windows = window_count(out.duration);
  for (std::size_t e = 0; e < edges; ++e) {
    std::vector<const MetricValues*> values;
    for (const auto& run : out.runs) values.push_back(&run.edges[e]);
    out.edge_metrics.push_back(Aggregate(values));
    std::vector<MetricIntervals> per_window;
    for (std::size_t w = 0; w < windows; ++w) {
      std::vector<const MetricValues*> wv;
      for (const auto& run : out.runs) wv.push_back(&run.windows[e][w]);
      per_window.push_back(Aggregate(wv));
    }
    out.window_metrics.push_back(std::move(per_window));
  }
  for (std::size_t n = 0; n < out.nodes.size(); ++n) {
    auto iv = [&](double NodeValues::*f) {
      std::vector<double> xs;
      for (const auto& run : out.runs) xs.push_back(run.nodes[n].*f);
      return ConfidenceInterval(xs, 0.95);
    };
    out.node_metrics.push_back(
        {iv(&NodeValues::arrivals), iv(&NodeValues::blocked), iv(&NodeValues::completions),
         iv(&NodeValues::throughput), iv(&NodeValues::blocking), iv(&NodeValues::mean_in_system),
         iv(&NodeValues::mean_time_in_system), iv(&NodeValues::utilisation)});
  }
  for (const auto& run : out.runs) out.events += run.events;
  return out;
}

}  // namespace meshproof::sim

namespace meshproof::sim {

PreparedScenario PrepareScenario(LoadedScenario* loaded, const std::string& profile_override) {
  PreparedScenario out;
  out.profile = profile_override.empty() ? loaded->scenario.profile : profile_override;
  if (loaded->HasErrors()) return out;
  const auto id = ParseProfileName(out.profile);
  if (!id) {
    loaded->diagnostics.Report(DiagCode::MP6001, Loc{0, 0, 0, "spec.profile"},
                               "unknown profile '" + out.profile + "'");
    return out;
  }
  out.graph = std::make_unique<RouteGraph>(CompileGraph(loaded->mesh.model, GetProfile(*id)));
  out.simulator = Simulator::Create(loaded->scenario, *out.graph, &loaded->diagnostics);
  return out;
}

}  // namespace meshproof::sim
