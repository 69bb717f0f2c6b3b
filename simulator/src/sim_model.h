// sim_model.h (private to simulator/): the compiled scenario every replication runs
// (Simulator::Impl, built by compile.cc, read by replication.cc) and the engine's shared
// constants.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "meshproof/engine/model_index.h"
#include "meshproof/simulator/simulation.h"
#include "meshproof/solver/query.h"

namespace meshproof::sim {

inline constexpr std::uint32_t kNone = UINT32_MAX;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// HTTP-like outcome codes used inside the engine.
inline constexpr std::uint16_t kOk = 200;
inline constexpr std::uint16_t kDenied = 403;
inline constexpr std::uint16_t kServerError = 500;
inline constexpr std::uint16_t kBadGateway = 502;      // a required downstream call failed
inline constexpr std::uint16_t kUnavailable = 503;     // rejected by a full queue, or no endpoint
inline constexpr std::uint16_t kGatewayTimeout = 504;  // per-try or request timeout

// ---------------------------------------------------------------------------------------
// The compiled scenario.

struct Simulator::Impl {
  struct CallRef {
    std::uint32_t cls = 0;
    double probability = 1;
    int count = 1;
    bool required = true;
    Loc loc;  // the scenario entry, for MP6001 on call cycles
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
    std::vector<std::uint8_t> allowed;  // per pool member
    // Per pool member, when its node may adopt another identity at run time (a promoted
    // primary running the canary's pod template): the policy decision under that identity.
    std::vector<std::uint8_t> allowed_adopted;
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
    std::string name;  // seeds its random stream
    std::vector<std::uint32_t> classes;
    std::vector<double> cumulative;
    ArrivalProcess arrival = ArrivalProcess::kPoisson;
    std::vector<RatePoint> schedule;
    double mmpp_rates[2] = {0, 0};
    double mmpp_durations[2] = {1, 1};
    bool gated = false;  // off until a Controller starts it
  };

  Scenario scenario;
  const RouteGraph* graph = nullptr;
  std::unique_ptr<ModelIndex> index;  // over graph->model(), built once in Create
  std::vector<EdgeInfo> edges;
  std::vector<NodeInfo> nodes;
  std::vector<NodeModel> node_models;
  std::vector<std::uint32_t> replica_node;
  std::vector<Pool> pools;
  std::vector<ClassModel> classes;
  std::vector<SourceModel> sources;
  bool zero_network = true;
  std::set<std::size_t> dynamic_splits;
  std::map<std::uint32_t, IdentityId> adoptable;  // node -> the identity it may adopt
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
      const auto g = index->HttpRouteGroup(ts.meta.namespace_, ref.name);
      if (!g) continue;
      for (const HttpMatch& m : model.http_route_groups[*g].matches) {
        if (MatchAdmits(m, graph->profile(), r.method, r.path, r.headers)) return true;
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
    // Decided once per endpoint (a workload): its replicas share identity and edge.
    struct Decision {
      std::uint8_t allowed = 0, adopted = 0;  // as its identity; as the one it may adopt
      std::uint32_t edge = 0;
    };
    std::map<std::uint32_t, Decision> per_endpoint;
    std::vector<std::uint8_t> adopted;
    bool any_adoptable = false;
    for (std::size_t i = 0; i < pools[t.pool].members.size(); ++i) {
      const std::uint32_t e = pools[t.pool].member_endpoint[i];
      const auto adopt = adoptable.find(replica_node[pools[t.pool].members[i]]);
      any_adoptable = any_adoptable || adopt != adoptable.end();
      auto it = per_endpoint.find(e);
      if (it == per_endpoint.end()) {
        const Endpoint& ep = svc.endpoints[e];
        Decision d;
        d.allowed = Admits(source, ep.identity, info->target_ports[e], info->protocol, r);
        d.adopted = adopt == adoptable.end()
                        ? d.allowed
                        : Admits(source, adopt->second, info->target_ports[e], info->protocol, r);
        const Workload& w = graph->model().workloads[ep.workload];
        EdgeInfo edge;
        edge.side = EdgeSide::kServer;
        edge.resource = {WorkloadKindName(w.workload_kind), w.meta.namespace_, w.meta.name};
        edge.peer = IdentityRef(source);
        d.edge = Edge(edge);
        it = per_endpoint.emplace(e, d).first;
      }
      t.allowed.push_back(it->second.allowed);
      adopted.push_back(it->second.adopted);
      t.server_edge.push_back(it->second.edge);
    }
    if (any_adoptable) t.allowed_adopted = std::move(adopted);
    return t;
  }

  const RoutePolicy* PolicyFor(const std::string& service) const {
    for (const RoutePolicy& p : scenario.routes) {
      if (p.service == service) return &p;
    }
    return nullptr;
  }

  // A request class: one source identity sending one request shape to one Service port
  // (compile.cc). nullopt after reporting MP6002 when the Service or port does not exist.
  std::optional<std::uint32_t> MakeClass(IdentityId source, const std::string& to,
                                         std::optional<int> port, const RequestShape& r,
                                         const Loc& loc, bool required, Diagnostics* diags);
  // The port a class goes to: `port`, or the Service's only one; 0 after reporting.
  int ResolvePort(const ServiceNode& svc, const std::string& to, std::optional<int> port,
                  const Loc& loc, Diagnostics* diags) const;
  // The split's backends as the class's targets, with cumulative shares.
  void AddSplitTargets(const SplitNode& split, IdentityId source, int port, Balancing balancing,
                       const RequestShape& r, ClassModel* c);
};

}  // namespace meshproof::sim
