// reach.h: who can reach what, at identity and port level.
//
// A client's request to a Service port is served by whatever the Service resolves to:
// the TrafficSplit applied to it (weights), then each backend's endpoints (ready
// replicas). Access is decided per receiving identity (the destination pods' ServiceAccount)
// by the grants the profile enforces. When some receivers allow a source and others deny
// it, the verdict is `partial` and denied_share says what share of its requests fail.
//
// Route detail (methods, paths, headers) is summarised by the granting match names here;
// the route-level solver refines it.
#pragma once

#include <string>
#include <vector>

#include "meshproof/engine/graph.h"

namespace meshproof {

/// One place a request to (service, port) can land, with its share of the requests.
struct Receiver {
  ServiceId service = kNoId;  // the backend Service (the root itself when no split applies)
  std::size_t endpoint = 0;   // index into that ServiceNode's endpoints
  IdentityId identity = kNoId;
  int target_port = 0;  // pod port; 0 when a named targetPort does not resolve
  PortProtocol protocol = PortProtocol::kHttp;
  double share = 0;
};

/// Where requests to `service`:`port` go. Backends without `port` are excluded from the
/// split on that port (spec 3.2) and the remaining shares renormalised. Empty when nothing
/// serves the port.
std::vector<Receiver> ResolveRequest(const RouteGraph& graph, ServiceId service, int port);

enum class Verdict : std::uint8_t { kDeny, kPartial, kAllow };
const char* VerdictName(Verdict v);

struct ReachEntry {
  IdentityId source = kNoId;
  ServiceId service = kNoId;
  int port = 0;
  PortProtocol protocol = PortProtocol::kHttp;
  Verdict verdict = Verdict::kDeny;
  double denied_share = 1;  // of this source's requests to service:port

  /// Per receiving identity (and pod port): its share and what it allows.
  struct PerReceiver {
    IdentityId identity = kNoId;
    ServiceId backend = kNoId;
    int target_port = 0;
    double share = 0;
    PortAccess access;
  };
  std::vector<PerReceiver> receivers;
};

/// The verdict for one (source identity, service, port).
ReachEntry EvaluateReach(const RouteGraph& graph, IdentityId source, ServiceId service, int port);

/// Identities that some grant names as a source towards an endpoint of `service` (or any
/// of its split backends): the only sources that can get anything but `deny`.
std::vector<IdentityId> CandidateSources(const RouteGraph& graph, ServiceId service);

/// The whole matrix over every Service port: entries that allow something, and with
/// include_deny also the denied (source, service, port) for every identity that runs a
/// workload or is named as a source. Sorted by (source, service, port) keys.
std::vector<ReachEntry> ReachMatrix(const RouteGraph& graph, bool include_deny);

/// Short, human summary of what an access allows: "all", or "group/match, ...".
std::string DescribeAccess(const RouteGraph& graph, const PortAccess& access);

}  // namespace meshproof
