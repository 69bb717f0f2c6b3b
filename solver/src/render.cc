#include "meshproof/solver/render.h"

#include "meshproof/engine/numeric.h"
#include "meshproof/solver/route_solver.h"

namespace meshproof {

using nlohmann::json;

namespace {

// Per allowed HTTP match: its methods, path and header languages, and a witness request
// the match admits (constructed or found by Z3, re-checked with RE2).
json RoutesJson(const RouteGraph& g, const PortAccess& access, PortProtocol protocol,
                RouteSolver* solver) {
  const MeshModel& m = g.model();
  const Profile& p = g.profile();
  if (protocol != PortProtocol::kHttp || access.level == PortAccess::Level::kNone)
    return json::array();
  if (access.level == PortAccess::Level::kAll) {
    return json::array(
        {{{"match", "all"},
          {"methods", json::array({"*"})},
          {"pathRegex", nullptr},
          {"headers", json::object()},
          {"witness", {{"method", "GET"}, {"path", "/"}, {"headers", json::object()}}}}});
  }
  json out = json::array();
  for (const GrantedMatch& gm : access.matches) {
    const HTTPRouteGroup& grp = m.http_route_groups[gm.group];
    const HttpMatch& hm = grp.matches[gm.match];
    json headers = json::object();
    json wheaders = json::object();
    std::vector<std::pair<std::string, std::string>> hv;
    bool ok = true;
    for (const HeaderMatch& h : hm.headers) {
      headers[h.name] = h.value;
      StringAnswer a = solver->Example(h.value, p.header_anchoring);
      if (a.status != SolveStatus::kSat) ok = false;
      wheaders[h.name] = a.witness;
      hv.emplace_back(h.name, a.witness);
    }
    std::string path = "/";
    if (hm.path_regex) {
      StringAnswer a = solver->Example(*hm.path_regex, p.path_anchoring, "/");
      if (a.status != SolveStatus::kSat) ok = false;
      path = a.witness;
    }
    std::string method = hm.methods.empty() || hm.methods[0] == "*" ? "GET" : hm.methods[0];
    json entry{{"match", grp.meta.name + "/" + hm.name},
               {"methods", hm.methods.empty() ? json::array({"*"}) : json(hm.methods)},
               {"pathRegex", hm.path_regex ? json(*hm.path_regex) : json(nullptr)},
               {"headers", headers}};
    // Printed only when the concrete evaluation agrees; otherwise the match admits nothing
    // provable within the timeout.
    entry["witness"] = ok && MatchAdmits(hm, p, method, path, hv)
                           ? json{{"method", method}, {"path", path}, {"headers", wheaders}}
                           : json(nullptr);
    out.push_back(entry);
  }
  return out;
}

}  // namespace

json ReachToJson(const RouteGraph& g, const std::vector<ReachEntry>& matrix) {
  const MeshModel& m = g.model();
  RouteSolver solver;
  json entries = json::array();
  for (const ReachEntry& e : matrix) {
    json recv = json::array();
    for (const auto& pr : e.receivers) {
      json targets = json::array();
      for (std::size_t t : pr.access.targets) {
        targets.push_back(m.traffic_targets[t].meta.namespace_ + "/" +
                          m.traffic_targets[t].meta.name);
      }
      recv.push_back({{"identity", g.identities()[pr.identity].key()},
                      {"backend", g.services()[pr.backend].key()},
                      {"targetPort", pr.target_port},
                      {"share", RoundShare(pr.share)},
                      {"allowed", DescribeAccess(g, pr.access)},
                      {"routes", RoutesJson(g, pr.access, e.protocol, &solver)},
                      {"trafficTargets", targets}});
    }
    entries.push_back({{"source", g.identities()[e.source].key()},
                       {"destination", g.services()[e.service].key()},
                       {"port", e.port},
                       {"protocol", PortProtocolName(e.protocol)},
                       {"verdict", VerdictName(e.verdict)},
                       {"deniedShare", RoundShare(e.denied_share)},
                       {"receivers", recv}});
  }
  return entries;
}

json QueryAnswerToJson(const QueryAnswer& a) {
  json j;
  j["verdict"] = a.unknown ? "unknown" : VerdictName(a.verdict);
  j["deniedShare"] = RoundShare(a.denied_share);
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
      because.push_back(
          {{"identity", b.identity}, {"trafficTarget", b.traffic_target}, {"routes", b.routes}});
    }
    j["ports"].push_back({{"port", p.port},
                          {"protocol", PortProtocolName(p.protocol)},
                          {"verdict", VerdictName(p.verdict)},
                          {"deniedShare", RoundShare(p.denied_share)},
                          {"because", because},
                          {"blocked", p.lacks}});
  }
  return j;
}

}  // namespace meshproof
