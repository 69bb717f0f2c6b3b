// model.h: the typed, version-independent model of a mesh.
//
// The loader (loader.h) turns Kubernetes and SMI manifests of every SMI version into these
// structs. SMI API versions meet only in the converter: a v1alpha1 TrafficTarget's top-level
// `specs`, a v1alpha2 `destination.port` and a v1alpha3 TCPRoute-only port restriction all
// arrive here in one shape. Analysis code (graph, solver, simulator) reads only this model.
//
// Every object and every field that a finding can point at carries a Loc (file, line,
// column, YAML path). Containers are sorted by (namespace, name) once loading finishes, so
// iteration order is deterministic.
//
// Field conventions: std::optional means "absent in the manifest" where absence has a
// meaning of its own (e.g. TrafficTarget port absent = all ports); empty strings mean
// absent where it has none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshproof/engine/diagnostics.h"

namespace meshproof {

using Labels = std::map<std::string, std::string>;

/// Where one field of an object was written. path is relative to the object
/// ("spec.backends[1].weight").
struct FieldLocation {
  std::string path;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

/// What every object has. api_version is as written, or as inferred when the manifest
/// omitted it (then api_version_inferred is true).
struct ObjectMeta {
  std::string kind;
  std::string api_version;
  bool api_version_inferred = false;
  /// For SMI kinds, N of the v1alphaN read (after inference); 0 for Kubernetes kinds. Only
  /// a Profile's served-version table interprets it.
  int smi_version = 0;
  std::string namespace_;            // empty only for cluster-scoped kinds (Namespace)
  bool namespace_defaulted = false;  // metadata.namespace absent: --namespace applied
  std::string name;
  Labels labels;
  Loc loc;  // the document (or List item) that holds the object; path is "" or "items[i]."
  /// Every field written in the object, sorted by path (the whole object tree, bounded
  /// to 4096 entries per object).
  std::vector<FieldLocation> fields;
  /// A hash of the object's content (every field path and scalar value), independent of
  /// file, position, formatting and comments: equal hashes mean an unchanged object.
  std::uint64_t content_hash = 0;

  ObjectRef ref() const { return {kind, namespace_, name}; }

  /// The location of the field at `path` ("spec.destination.name"). When that field was
  /// not written, the nearest ancestor that was (so a finding about a missing field points
  /// at its parent); the object itself when none was. The returned path is always the
  /// full YAML path asked for, prefixed as loc.path is inside a List.
  Loc LocOf(std::string_view path) const;
};

// ---------------------------------------------------------------------------------------
// Kubernetes

struct Namespace {
  ObjectMeta meta;
};

struct ServiceAccount {
  ObjectMeta meta;
};

/// One entry of Service.spec.ports.
struct ServicePort {
  std::string name;              // empty when unnamed
  int port = 0;                  // the port clients connect to
  std::string protocol = "TCP";  // TCP | UDP | SCTP
  std::string app_protocol;      // spec.ports[].appProtocol, empty when absent
  /// targetPort: a number, or a container port name to resolve per pod. Defaults to port.
  int target_port = 0;  // 0 when target_port_name is set
  std::string target_port_name;
  Loc loc;
};

struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";
  /// spec.selector. has_selector is false when absent: Kubernetes then manages no endpoints
  /// (a selector-less Service, e.g. backed by manual Endpoints).
  Labels selector;
  bool has_selector = false;
  std::vector<ServicePort> ports;
};

enum class WorkloadKind : std::uint8_t {
  kDeployment,
  kStatefulSet,
  kDaemonSet,
  kReplicaSet,
  kPod,
};
const char* WorkloadKindName(WorkloadKind k);

struct ContainerPort {
  std::string name;
  int port = 0;
  std::string protocol = "TCP";
};

/// A Deployment, StatefulSet, DaemonSet, ReplicaSet or bare Pod: something that runs pods
/// with one pod template.
struct Workload {
  ObjectMeta meta;
  WorkloadKind workload_kind = WorkloadKind::kDeployment;
  Labels pod_labels;  // template labels (metadata.labels for a bare Pod)
  /// spec.serviceAccountName (or the deprecated spec.serviceAccount); "default" when
  /// absent, as the API server fills it in.
  std::string service_account = "default";
  bool service_account_defaulted = true;
  /// Desired pods. Defaults to 1 as Kubernetes does; nullopt for a DaemonSet (one per
  /// node, unknown offline).
  std::optional<int> replicas = 1;
  std::vector<ContainerPort> ports;  // all containers' ports
};

// ---------------------------------------------------------------------------------------
// SMI access (TrafficTarget, all versions)

/// A TrafficTarget destination or source. kind is "ServiceAccount" in every released
/// version; anything else is kept as written for the checks to report.
struct Subject {
  std::string kind;
  std::string name;
  std::string namespace_;
  bool namespace_defaulted = false;  // absent: the TrafficTarget's namespace
  Loc loc;
};

/// A reference from a TrafficTarget rule (v1alpha2+ `rules`, v1alpha1 `specs`) to a route
/// object in the TrafficTarget's namespace.
struct RouteRef {
  std::string kind;  // HTTPRouteGroup | TCPRoute | UDPRoute, as written
  std::string name;
  /// Match names; nullopt when `matches` is absent (spec: all matches of the group).
  std::optional<std::vector<std::string>> matches;
  Loc loc;
};

struct TrafficTarget {
  ObjectMeta meta;
  Subject destination;
  /// destination.port (v1alpha1/v1alpha2 only); nullopt = all ports. From v1alpha3 on,
  /// ports come from the referenced TCPRoute/UDPRoute.
  std::optional<int> port;
  std::vector<Subject> sources;
  bool sources_present = false;  // `sources` key present (possibly empty)
  std::vector<RouteRef> rules;
  bool rules_present = false;  // `rules`/`specs` key present (possibly empty)
};

// ---------------------------------------------------------------------------------------
// SMI specs (HTTPRouteGroup, TCPRoute, UDPRoute, all versions)

struct HeaderMatch {
  std::string name;   // as written; HTTP compares names case-insensitively
  std::string value;  // a regular expression on the header value
  Loc loc;
};

/// How an HTTPRouteGroup wrote its headers: the spec documents' map, or the SDK's list of
/// single-key maps. kNone when no match has headers.
enum class HeaderForm : std::uint8_t { kNone, kMap, kList };

struct HttpMatch {
  std::string name;
  /// pathRegex; nullopt when absent (any path). "" is kept as written.
  std::optional<std::string> path_regex;
  /// HTTP methods as written ("*" for all); empty when absent (all methods).
  std::vector<std::string> methods;
  std::vector<HeaderMatch> headers;  // ANDed
  Loc loc;
};

struct HTTPRouteGroup {
  ObjectMeta meta;
  std::vector<HttpMatch> matches;  // ORed
  HeaderForm header_form = HeaderForm::kNone;
};

enum class L4Protocol : std::uint8_t { kTcp, kUdp };

/// A TCPRoute or UDPRoute. ports empty = all ports of the destination (v1alpha1-v1alpha3
/// TCPRoutes carry no ports at all; v1alpha4 `ports: []` or absent means the same).
struct L4Route {
  ObjectMeta meta;
  L4Protocol protocol = L4Protocol::kTcp;
  std::string match_name;  // v1alpha4 spec.matches.name, rarely set
  std::vector<int> ports;
  Loc ports_loc;
};

// ---------------------------------------------------------------------------------------
// SMI split (TrafficSplit, all versions)

struct SplitBackend {
  std::string service;
  /// The weight as written ("500m", "50").
  std::string weight_text;
  /// The weight's value: an integer for v1alpha2+, a Kubernetes quantity evaluated exactly
  /// for v1alpha1 ("500m" = 0.5, "1" = 1, "1e3" = 1000). 0 when invalid (a diagnostic says
  /// why).
  double weight = 0;
  /// This backend's effective share of the root's traffic: weight / sum of the valid
  /// non-negative weights, computed exactly then rounded to double. 0 when the sum is 0.
  double share = 0;
  bool weight_valid = false;
  Loc loc;
};

struct SplitMatchRef {
  std::string kind;  // HTTPRouteGroup
  std::string name;
  Loc loc;
};

struct TrafficSplit {
  ObjectMeta meta;
  std::string root_service;  // spec.service as written (short name or FQDN form)
  Loc root_loc;
  std::vector<SplitBackend> backends;
  std::vector<SplitMatchRef> matches;  // A/B routing, v1alpha3+
  bool quantity_weights = false;       // v1alpha1: weights are Kubernetes quantities
};

// ---------------------------------------------------------------------------------------

/// The whole mesh: every object the loader understood, sorted by (namespace, name).
struct MeshModel {
  std::vector<Namespace> namespaces;
  std::vector<ServiceAccount> service_accounts;
  std::vector<Service> services;
  std::vector<Workload> workloads;
  std::vector<TrafficTarget> traffic_targets;
  std::vector<HTTPRouteGroup> http_route_groups;
  std::vector<L4Route> l4_routes;  // TCPRoutes and UDPRoutes
  std::vector<TrafficSplit> traffic_splits;

  /// Objects of kinds meshproof does not model, by "apiVersion/kind" (e.g. "v1/ConfigMap").
  std::map<std::string, int> skipped;

  /// Number of objects in the model (skipped ones excluded).
  std::size_t ObjectCount() const;

  /// Calls f(const ObjectMeta&) for every object, kind by kind in declaration order.
  template <typename F>
  void ForEachMeta(F&& f) const {
    for (const auto& x : namespaces) f(x.meta);
    for (const auto& x : service_accounts) f(x.meta);
    for (const auto& x : services) f(x.meta);
    for (const auto& x : workloads) f(x.meta);
    for (const auto& x : traffic_targets) f(x.meta);
    for (const auto& x : http_route_groups) f(x.meta);
    for (const auto& x : l4_routes) f(x.meta);
    for (const auto& x : traffic_splits) f(x.meta);
  }
};

}  // namespace meshproof
