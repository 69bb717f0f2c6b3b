#include "meshproof/solver/render.h"

namespace meshproof {

using nlohmann::json;

json ReachToJson(const RouteGraph& g, const std::vector<ReachEntry>& matrix) {
  const MeshModel& m = g.model();
  json entries = json::array();
  for (const ReachEntry& e : matrix) {
    json recv = json::array();
    for (const auto& pr : e.receivers) {
      json targets = json::array();
      for (std::size_t t : pr.access.targets) {
        targets.push_back(m.traffic_targets[t].meta.namespace_ + "/" + m.traffic_targets[t].meta.name);
      }
      recv.push_back({{"identity", g.identities()[pr.identity].key()},
                      {"backend", g.services()[pr.backend].key()},
                      {"targetPort", pr.target_port},
                      {"share", pr.share},
                      {"allowed", DescribeAccess(g, pr.access)},
                      {"trafficTargets", targets}});
    }
    entries.push_back({{"source", g.identities()[e.source].key()},
                       {"destination", g.services()[e.service].key()},
                       {"port", e.port},
                       {"protocol", PortProtocolName(e.protocol)},
                       {"verdict", VerdictName(e.verdict)},
                       {"deniedShare", e.denied_share},
                       {"receivers", recv}});
  }
  return entries;
}

json QueryAnswerToJson(const QueryAnswer& a) {
  json j;
  j["verdict"] = a.unknown ? "unknown" : VerdictName(a.verdict);
  j["deniedShare"] = a.denied_share;
  if (a.verdict == Verdict::kDeny) {
    j["witness"] = nullptr;
  } else {
    json h = json::object();
    for (const auto& [k, v] : a.witness.headers) h[k] = v;
    j["witness"] = {{"source", a.witness.source}, {"destination", a.witness.destination},
                    {"port", a.witness.port},     {"method", a.witness.method},
                    {"path", a.witness.path},     {"headers", h}};
  }
  if (!a.problem.empty()) j["problem"] = a.problem;
  j["ports"] = json::array();
  for (const auto& p : a.ports) {
    json because = json::array();
    for (const auto& b : p.because) {
      because.push_back({{"identity", b.identity}, {"trafficTarget", b.traffic_target}, {"routes", b.routes}});
    }
    j["ports"].push_back({{"port", p.port},
                          {"protocol", PortProtocolName(p.protocol)},
                          {"verdict", VerdictName(p.verdict)},
                          {"deniedShare", p.denied_share},
                          {"because", because},
                          {"blocked", p.lacks}});
  }
  return j;
}

}  // namespace meshproof
