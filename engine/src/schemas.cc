// Schemas transcribe the smi-sdk-go CRDs and the spec prose (docs/reference/smi-semantics.md
// sections 1-3 and 5). Where the CRD is stricter than the prose (v1alpha1 destination.port is
// CRD-required but optional in the prose), the prose wins and no MP0002 is raised.
#include "schemas.h"

namespace meshproof::schema {
namespace {

Schema Metadata() {
  return OpenObj({{"name", Str()},
                  {"namespace", Str()},
                  {"labels", MapOf(Str())},
                  {"annotations", MapOf(Str())}});
}

Schema Envelope(std::vector<std::pair<std::string, Schema>> fields,
                std::vector<std::string> required = {}) {
  fields.insert(
      fields.begin(),
      {{"apiVersion", Str()}, {"kind", Str()}, {"metadata", Metadata()}, {"status", Any()}});
  required.insert(required.begin(), "metadata");
  return Obj(std::move(fields), std::move(required));
}

// --- access.smi-spec.io -----------------------------------------------------------------

Schema Subject(int version, bool destination) {
  std::vector<std::pair<std::string, Schema>> f = {
      {"kind", Str()}, {"name", Str()}, {"namespace", Str()}};
  if (destination && version == 1) f.push_back({"port", Int()});
  if (destination && version == 2) f.push_back({"port", Number()});  // CRD: type number
  if (version == 4) f.push_back({"group", Str()});
  return Obj(std::move(f), {"kind", "name"});
}

Schema AccessRule(int version) {
  std::vector<std::string> kinds = {"HTTPRouteGroup", "TCPRoute"};
  if (version >= 3) kinds.push_back("UDPRoute");
  return Obj({{"kind", Enum(kinds)}, {"name", Str()}, {"matches", ArrayOf(Str())}},
             {"kind", "name"});
}

Schema TrafficTarget(int version) {
  if (version == 1) {
    return Envelope({{"destination", Subject(1, true)},
                     {"specs", ArrayOf(AccessRule(1))},
                     {"sources", ArrayOf(Subject(1, false))}},
                    {"destination"});
  }
  std::vector<std::string> req = {"destination"};
  if (version >= 3) req = {"destination", "rules", "sources"};
  return Envelope({{"spec", Obj({{"destination", Subject(version, true)},
                                 {"rules", ArrayOf(AccessRule(version))},
                                 {"sources", ArrayOf(Subject(version, false))}},
                                req)}},
                  {"spec"});
}

// --- specs.smi-spec.io ------------------------------------------------------------------

Schema HttpMatch(int version) {
  std::vector<std::pair<std::string, Schema>> f = {
      {"name", Str()},
      {"pathRegex", Str()},
      {"methods", ArrayOf(Enum({"*", "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS",
                                "TRACE", "PATCH"}))}};
  if (version >= 2) f.push_back({"headers", Headers()});
  return Obj(std::move(f), {"name"});
}

Schema HTTPRouteGroup(int version) {
  if (version <= 2) return Envelope({{"matches", ArrayOf(HttpMatch(version))}});
  // The CRD requires spec.matches but not spec itself (docs/reference/smi-semantics.md section 5).
  return Envelope({{"spec", Obj({{"matches", ArrayOf(HttpMatch(version))}}, {"matches"})}});
}

Schema L4Route(int version) {
  if (version <= 2) return Envelope({});
  if (version == 3) return Envelope({{"spec", Obj({})}});
  return Envelope(
      {{"spec", Obj({{"matches", Obj({{"name", Str()}, {"ports", ArrayOf(Int())}}, {"ports"})}},
                    {"matches"})}});
}

// --- split.smi-spec.io ------------------------------------------------------------------

Schema TrafficSplit(int version) {
  Schema weight = version == 1 ? Quantity() : Number();  // integer-ness: MP3004
  std::vector<std::pair<std::string, Schema>> spec = {
      {"service", Str()},
      {"backends", ArrayOf(Obj({{"service", Str()}, {"weight", weight}}, {"service", "weight"}))}};
  if (version >= 3) {
    spec.push_back(
        {"matches",
         ArrayOf(Obj({{"kind", Enum({"HTTPRouteGroup"})}, {"name", Str()}, {"apiGroup", Str()}},
                     {"kind", "name"}))});
  }
  return Envelope({{"spec", Obj(std::move(spec), {"service", "backends"})}}, {"spec"});
}

// --- Kubernetes (partial: only what meshproof reads is checked) -------------------------

Schema OpenEnvelope(std::vector<std::pair<std::string, Schema>> fields) {
  fields.insert(fields.begin(), {{"apiVersion", Str()}, {"kind", Str()}, {"metadata", Metadata()}});
  return OpenObj(std::move(fields), {"metadata"});
}

Schema PodSpec() {
  Schema port = OpenObj(
      {{"name", Str()}, {"containerPort", Int()}, {"protocol", Enum({"TCP", "UDP", "SCTP"})}},
      {"containerPort"});
  Schema container = OpenObj({{"name", Str()}, {"ports", ArrayOf(port)}});
  return OpenObj({{"serviceAccountName", Str()},
                  {"serviceAccount", Str()},
                  {"containers", ArrayOf(container)},
                  {"initContainers", ArrayOf(container)}});
}

Schema Controller() {
  return OpenEnvelope(
      {{"spec",
        OpenObj({{"replicas", Int()},
                 {"template", OpenObj({{"metadata", Metadata()}, {"spec", PodSpec()}})}})}});
}

Schema Service() {
  Schema port = OpenObj({{"name", Str()},
                         {"port", Int()},
                         {"targetPort", IntOrString()},
                         {"protocol", Enum({"TCP", "UDP", "SCTP"})},
                         {"appProtocol", Str()},
                         {"nodePort", Int()}},
                        {"port"});
  return OpenEnvelope(
      {{"spec", OpenObj({{"selector", MapOf(Str())}, {"type", Str()}, {"ports", ArrayOf(port)}})}});
}

}  // namespace

const char* SmiKindName(SmiKind k) {
  switch (k) {
    case SmiKind::kTrafficTarget:
      return "TrafficTarget";
    case SmiKind::kHTTPRouteGroup:
      return "HTTPRouteGroup";
    case SmiKind::kTCPRoute:
      return "TCPRoute";
    case SmiKind::kUDPRoute:
      return "UDPRoute";
    case SmiKind::kTrafficSplit:
      return "TrafficSplit";
  }
  return "?";
}

const char* SmiGroup(SmiKind k) {
  switch (k) {
    case SmiKind::kTrafficTarget:
      return "access.smi-spec.io";
    case SmiKind::kTrafficSplit:
      return "split.smi-spec.io";
    default:
      return "specs.smi-spec.io";
  }
}

const std::vector<int>& SmiVersions(SmiKind k) {
  static const std::vector<int> all = {1, 2, 3, 4};
  static const std::vector<int> only4 = {4};
  return k == SmiKind::kUDPRoute ? only4 : all;
}

const Schema* SmiSchema(SmiKind k, int version) {
  // Built once; read-only afterwards, so safe to share across threads.
  static const auto* table = [] {
    auto* t = new std::vector<std::vector<Schema>>(5);
    for (int v = 1; v <= 4; ++v) {
      (*t)[0].push_back(TrafficTarget(v));
      (*t)[1].push_back(HTTPRouteGroup(v));
      (*t)[2].push_back(L4Route(v));
      (*t)[3].push_back(L4Route(v));
      (*t)[4].push_back(TrafficSplit(v));
    }
    return t;
  }();
  if (version < 1 || version > 4) return nullptr;
  if (k == SmiKind::kUDPRoute && version != 4) return nullptr;
  return &(*table)[static_cast<int>(k)][version - 1];
}

const Schema* KubernetesSchema(const std::string& kind) {
  static const Schema ns = OpenEnvelope({});
  static const Schema service = Service();
  static const Schema controller = Controller();
  static const Schema pod = OpenEnvelope({{"spec", PodSpec()}});
  if (kind == "Namespace" || kind == "ServiceAccount") return &ns;
  if (kind == "Service") return &service;
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
      kind == "ReplicaSet") {
    return &controller;
  }
  if (kind == "Pod") return &pod;
  return nullptr;
}

}  // namespace meshproof::schema
