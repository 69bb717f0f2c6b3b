#include "meshproof/engine/profile.h"

namespace meshproof {
namespace {

std::vector<Profile> Build() {
  std::vector<Profile> out;

  Profile spec;
  spec.id = ProfileId::kSpec;
  spec.name = "spec";
  spec.description =
      "the SMI spec's own reading, with docs/reference/smi-semantics.md section 6's "
      "recommendations";
  // access v1alpha4 is a draft: accepted, with the converter's MP0003.
  spec.served = {{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}, {4}, {1, 2, 3, 4}};
  out.push_back(spec);

  Profile osm = spec;
  osm.id = ProfileId::kOsm;
  osm.name = "osm";
  osm.description = "Open Service Mesh v1.2 (docs/reference/smi-semantics.md section 7)";
  osm.rule_without_matches_grants_all = false;
  osm.empty_sources_grant_any_on_tcp = true;
  osm.tcp_rules_grant_http_ports = false;
  osm.tcp_routes_filter_http_ports = false;
  osm.http_rules_grant_tcp_ports = true;
  osm.target_namespace_must_match = true;
  osm.udp_rule_invalidates_target = true;
  osm.missing_tcp_route_drops_target = true;
  osm.path_anchoring = RegexAnchoring::kFull;
  osm.header_anchoring = RegexAnchoring::kFull;
  osm.root_form = RootForm::kAnyIgnoreNamespace;
  osm.split_conflict = SplitConflict::kFirst;
  osm.split_matches_supported = false;
  osm.served = {{3}, {4}, {4}, {}, {2}};
  out.push_back(osm);

  Profile traefik = spec;
  traefik.id = ProfileId::kTraefik;
  traefik.name = "traefik";
  traefik.description = "Traefik Mesh (docs/reference/smi-semantics.md section 8)";
  traefik.empty_rules_grant_all = true;
  traefik.path_anchoring = RegexAnchoring::kPrefix;
  traefik.header_anchoring = RegexAnchoring::kSearch;
  traefik.served = {{2}, {3}, {3}, {}, {3}};
  out.push_back(traefik);

  Profile linkerd = spec;
  linkerd.id = ProfileId::kLinkerd;
  linkerd.name = "linkerd";
  linkerd.description =
      "linkerd-smi: TrafficSplit only; access is Linkerd's own policy (section 8)";
  linkerd.evaluates_access = false;
  linkerd.root_form = RootForm::kShortOnly;
  linkerd.split_matches_supported = false;
  linkerd.served = {{}, {}, {}, {}, {1, 2}};
  out.push_back(linkerd);
  return out;
}

}  // namespace

const std::vector<Profile>& AllProfiles() {
  static const std::vector<Profile> profiles = Build();
  return profiles;
}

const Profile& GetProfile(ProfileId id, bool permissive) {
  if (!permissive) return AllProfiles()[static_cast<std::size_t>(id)];
  static const std::vector<Profile> permissive_profiles = [] {
    std::vector<Profile> out = AllProfiles();
    for (Profile& p : out) p.permissive = true;
    return out;
  }();
  return permissive_profiles[static_cast<std::size_t>(id)];
}

std::optional<ProfileId> ParseProfileName(std::string_view name) {
  for (const Profile& p : AllProfiles()) {
    if (name == p.name) return p.id;
  }
  return std::nullopt;
}

std::string ProfileLabel(std::string_view name, bool permissive) {
  return std::string(name) + (permissive ? " (permissive)" : "");
}

std::string ProfileNameList() {
  std::string out;
  const auto& all = AllProfiles();
  for (std::size_t i = 0; i < all.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == all.size() ? " or " : ", ");
    out += all[i].name;
  }
  return out;
}

}  // namespace meshproof
