// graph.h: the compiled, sealed route graph of a mesh under one semantics profile.
//
// CompileGraph turns the typed model into what a mesh would enforce: identities (Kubernetes
// ServiceAccounts), Services resolved to their endpoints (selector -> workloads -> the
// identity their pods run as, with each endpoint's target port), TrafficTarget grants as
// edges from source identities to a destination identity carrying their port and route
// predicates, and TrafficSplits as weighted edges from a root Service to its backends.
// Every profile-dependent reading happens here, by consulting the Profile's fields.
//
// The graph is immutable once compiled; what-if analysis compiles a new one. It refers to
// the model it was compiled from by index, so REQUIRES: the MeshModel outlives the graph.
// Boost.Graph is an implementation detail behind a pimpl.
//
// Thread-safety: all const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/model.h"
#include "meshproof/engine/profile.h"

namespace meshproof {

using IdentityId = std::uint32_t;
using ServiceId = std::uint32_t;
using GrantId = std::uint32_t;
inline constexpr std::uint32_t kNoId = UINT32_MAX;

enum class PortProtocol : std::uint8_t { kHttp, kTcp, kUdp };
const char* PortProtocolName(PortProtocol p);

/// A ServiceAccount as a mesh identity, whether or not a ServiceAccount object declares it.
struct Identity {
  std::string namespace_;
  std::string name;
  bool declared = false;               // a ServiceAccount object exists in the input
  std::vector<std::size_t> workloads;  // indices into MeshModel::workloads running as it
  std::string key() const { return namespace_ + "/" + name; }
};

/// One workload behind a Service.
struct Endpoint {
  std::size_t workload = 0;  // index into MeshModel::workloads
  IdentityId identity = kNoId;
  int replicas = 1;  // desired replicas; a DaemonSet counts as 1
};

/// One port of a Service as its endpoints serve it.
struct ServicePortInfo {
  int port = 0;
  std::string name;
  PortProtocol protocol = PortProtocol::kHttp;
  /// Per endpoint (parallel to ServiceNode::endpoints): the pod port the request lands on,
  /// or 0 when a named targetPort does not resolve on that workload.
  std::vector<int> target_ports;
};

struct ServiceNode {
  std::size_t model_index = 0;  // into MeshModel::services
  std::string namespace_;
  std::string name;
  std::vector<Endpoint> endpoints;
  std::vector<ServicePortInfo> ports;
  std::string key() const { return namespace_ + "/" + name; }
};

/// An HTTP match that a grant allows: a match of an HTTPRouteGroup in the model.
struct GrantedMatch {
  std::size_t group = 0;  // index into MeshModel::http_route_groups
  std::size_t match = 0;  // index into that group's matches
};

/// A TrafficTarget as this profile enforces it.
struct Grant {
  std::size_t target = 0;       // index into MeshModel::traffic_targets
  bool applied = true;          // false: the profile ignores the whole TrafficTarget
  std::string ignored_because;  // why, when !applied
  IdentityId destination = kNoId;
  std::vector<IdentityId> sources;
  /// OSM: no sources means any principal on L4 (TCP) ports.
  bool any_source_on_tcp = false;
  std::optional<int> port;  // v1alpha1/v1alpha2 destination.port (a pod port)

  // Rules, resolved. "all" flags stand for rules whose ports/routes are unrestricted.
  bool has_http_rules = false;  // some HTTPRouteGroup rule was written
  std::vector<GrantedMatch> http_matches;
  bool http_all = false;  // all HTTP requests (e.g. Traefik: no rules at all)
  bool has_tcp_rules = false;
  bool tcp_all_ports = false;
  std::vector<int> tcp_ports;
  bool has_udp_rules = false;
  bool udp_all_ports = false;
  std::vector<int> udp_ports;
};

/// A TrafficSplit as applied to its root.
struct SplitBackendNode {
  std::string service;            // as written
  ServiceId service_id = kNoId;   // kNoId when the backend Service does not exist
  double share = 0;               // effective share (weight / sum), exact then rounded
  std::size_t backend_index = 0;  // into TrafficSplit::backends
};

struct SplitNode {
  std::size_t split = 0;   // index into MeshModel::traffic_splits
  ServiceId root = kNoId;  // kNoId when the root does not resolve
  bool applied = false;    // this split routes the root's traffic under the profile
  std::vector<SplitBackendNode> backends;
};

/// What a receiving endpoint allows one source on one pod port.
struct PortAccess {
  enum class Level : std::uint8_t { kNone, kSomeRoutes, kAll };
  Level level = Level::kNone;
  /// Granting TrafficTargets (indices into MeshModel::traffic_targets), sorted.
  std::vector<std::size_t> targets;
  /// The HTTP matches allowed when level is kSomeRoutes.
  std::vector<GrantedMatch> matches;
};

class RouteGraph {
 public:
  RouteGraph(RouteGraph&&) noexcept;
  RouteGraph& operator=(RouteGraph&&) noexcept;
  ~RouteGraph();

  const Profile& profile() const;
  const MeshModel& model() const;

  const std::vector<Identity>& identities() const;
  const std::vector<ServiceNode>& services() const;
  const std::vector<Grant>& grants() const;
  const std::vector<SplitNode>& splits() const;

  /// Lookups by "ns/name"; kNoId when absent.
  IdentityId FindIdentity(const std::string& ns, const std::string& name) const;
  ServiceId FindService(const std::string& ns, const std::string& name) const;
  /// Grants whose destination is `id` (applied or not).
  const std::vector<GrantId>& GrantsTo(IdentityId id) const;
  /// The split applied to root `id`, or nullptr.
  const SplitNode* AppliedSplit(ServiceId id) const;
  /// Services whose endpoints include identity `id`.
  const std::vector<ServiceId>& ServicesOf(IdentityId id) const;

  /// What `source` may do on pod port `target_port` of an endpoint running as
  /// `destination`, speaking `protocol`. When the profile does not evaluate access
  /// (linkerd), everything is allowed.
  PortAccess Access(IdentityId source, IdentityId destination, int target_port,
                    PortProtocol protocol) const;

  /// True when split roots reach themselves through backends (cycles), listing them.
  std::vector<std::vector<ServiceId>> SplitCycles() const;

  struct Impl;

 private:
  friend RouteGraph CompileGraph(const MeshModel&, const Profile&);
  explicit RouteGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Compiles `model` under `profile`. Never fails: references that do not resolve are kept
/// as unresolved (the checks report them). REQUIRES: model outlives the result.
RouteGraph CompileGraph(const MeshModel& model, const Profile& profile);

/// Resolves TrafficSplit.spec.service to a Service name in the split's namespace under
/// the profile's root form; nullopt when the form is not accepted.
std::optional<std::string> ResolveRootName(const std::string& written, const std::string& ns,
                                           RootForm form);

}  // namespace meshproof
