// profile.h: semantics profiles, as data.
//
// SMI promises portability, yet implementations read the same manifest differently
// (docs/reference/smi-semantics.md sections 6-8). A Profile is one row of decisions; the graph
// compiler and the checks consult its fields and never branch on a profile's name. Each field names
// the section of docs/reference/smi-semantics.md it comes from.
//
//   spec     the spec's own reading, with the recommendations of section 6 (default)
//   osm      Open Service Mesh v1.2 (section 7)
//   traefik  Traefik Mesh (section 8)
//   linkerd  linkerd-smi: TrafficSplit only, access policy is not SMI's (section 8)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshproof {

enum class ProfileId : std::uint8_t { kSpec, kOsm, kTraefik, kLinkerd };

/// How a pathRegex or header regex is applied to the request's value.
enum class RegexAnchoring : std::uint8_t {
  kPrefix,  // anchored at the start only (spec 2.1: "anchored (^) to the beginning")
  kFull,    // the whole value must match (Envoy safe_regex, OSM 7.3)
  kSearch,  // anywhere in the value (Traefik HeadersRegexp, section 8)
};

/// Which TrafficSplit wins when several name the same root.
enum class SplitConflict : std::uint8_t {
  kNone,   // ambiguous: none is applied, traffic goes to the root's own endpoints (spec 3.2)
  kFirst,  // the first by (namespace, name), as OSM picks "the first one" (7.4)
};

/// How TrafficSplit.spec.service names its root.
enum class RootForm : std::uint8_t {
  kShortOrSameNamespaceFqdn,  // name, name.ns, name.ns.svc[.cluster.local] (spec 3.2, rec.)
  kAnyIgnoreNamespace,        // OSM 1.2 parses a hostname, ignores its namespace (7.4)
  kShortOnly,                 // linkerd-smi appends .<ns>.svc.<domain> (section 8)
};

/// What a Service port speaks when neither appProtocol nor a port-name prefix says.
enum class DefaultPortProtocol : std::uint8_t { kHttp, kTcp };

struct ServedVersions {
  std::vector<int> traffic_target;  // access.smi-spec.io, v1alphaN as N
  std::vector<int> http_route_group;
  std::vector<int> tcp_route;
  std::vector<int> udp_route;  // empty: UDPRoute unsupported
  std::vector<int> traffic_split;
};

struct Profile {
  ProfileId id = ProfileId::kSpec;
  const char* name = "spec";
  const char* description = "";

  /// Whether TrafficTargets are enforced at all. linkerd-smi only converts TrafficSplits;
  /// access there is Linkerd's own policy, so SMI access is not evaluated (section 8).
  bool evaluates_access = true;
  /// Permissive traffic policy mode (OSM's MeshConfig
  /// spec.traffic.enablePermissiveTrafficPolicyMode, smi-semantics.md 7.2): the access
  /// APIs are still served, but TrafficTargets are ignored and every request is allowed.
  /// Only ever switched on by the user (--permissive, `permissive: true`).
  bool permissive = false;

  /// Whether TrafficTargets decide which requests are allowed: the implementation
  /// evaluates SMI access and permissive mode is off. Everything is allowed otherwise.
  bool EnforcesAccess() const { return evaluates_access && !permissive; }

  // --- access (sections 1, 6, 7.2, 7.3, 8) ---
  /// A rule without `matches` grants all matches of its group (spec 1.1.4), or nothing
  /// (OSM builds routes only from listed names, 7.3).
  bool rule_without_matches_grants_all = true;
  /// A TrafficTarget with no rules grants all traffic from its sources (Traefik, 8), or
  /// nothing (spec 6: "do not silently allow all"; OSM drops it, 7.2).
  bool empty_rules_grant_all = false;
  /// A TrafficTarget with no sources grants any caller on its L4 ports (OSM RBAC: "No
  /// principals specified ... allow ANY", 7.3), or nothing (spec 6).
  bool empty_sources_grant_any_on_tcp = false;
  /// A TrafficTarget whose only rules are TCPRoutes grants all HTTP traffic on its ports
  /// (spec 1.4: the port filter alone), or nothing on HTTP ports (OSM generates no HTTP
  /// routes from it, 7.3).
  bool tcp_rules_grant_http_ports = true;
  /// TCPRoute/UDPRoute rules restrict which ports HTTP rules apply on (spec 1.4's reading
  /// of the L7 example: the TCPRoute is a port filter intersected with the HTTP matches),
  /// or are ignored on HTTP ports (OSM decides by port protocol alone, 7.3).
  bool tcp_routes_filter_http_ports = true;
  /// HTTPRouteGroup-only TrafficTargets grant TCP ports (OSM's L4 policy has no port
  /// restriction without TCPRoutes, 7.3), or HTTP routes cannot match non-HTTP traffic
  /// (spec).
  bool http_rules_grant_tcp_ports = false;
  /// A TrafficTarget outside its destination's namespace is ignored (OSM 7.2, 7.5) or
  /// honoured with a warning (spec 6).
  bool target_namespace_must_match = false;
  /// A single UDPRoute rule invalidates the whole TrafficTarget (OSM 7.2).
  bool udp_rule_invalidates_target = false;
  /// A rule naming a missing TCPRoute drops the whole TrafficTarget from L4 policy (OSM
  /// getTCPRouteMatchesFromTrafficTarget, 7.3); otherwise that rule alone grants nothing.
  bool missing_tcp_route_drops_target = false;
  /// How unlabelled Service ports are classified (OSM defaults to HTTP, 7.3).
  DefaultPortProtocol default_port_protocol = DefaultPortProtocol::kHttp;

  // --- route matching (2.1, 7.3, 8) ---
  RegexAnchoring path_anchoring = RegexAnchoring::kPrefix;
  RegexAnchoring header_anchoring = RegexAnchoring::kFull;

  // --- split (3, 7.4, 8) ---
  RootForm root_form = RootForm::kShortOrSameNamespaceFqdn;
  SplitConflict split_conflict = SplitConflict::kNone;
  /// TrafficSplit `matches` (A/B, v1alpha3+) are honoured (OSM serves v1alpha2 only: the
  /// API server prunes them, 7.1).
  bool split_matches_supported = true;

  /// API versions the implementation serves; objects in other versions are not applied
  /// (MP0003 at verify time).
  ServedVersions served;
};

/// The built-in profiles, in ProfileId order (permissive mode off).
const std::vector<Profile>& AllProfiles();
/// A built-in profile, in permissive mode when `permissive`. The reference stays valid
/// for the life of the program (a RouteGraph keeps it).
const Profile& GetProfile(ProfileId id, bool permissive = false);
/// "spec" | "osm" | "traefik" | "linkerd"; nullopt otherwise.
std::optional<ProfileId> ParseProfileName(std::string_view name);
/// The profile names for messages: "spec, osm, traefik or linkerd".
std::string ProfileNameList();
/// A profile as summaries name it: "osm", or "osm (permissive)".
std::string ProfileLabel(std::string_view name, bool permissive);

}  // namespace meshproof
