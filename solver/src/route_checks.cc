// Route-level checks with Z3 (MP1008, MP2001-MP2004, MP9001). Each regex question is one
// membership constraint on one string (route_solver.h); answers Z3 cannot give within the
// timeout are reported as MP9001, never counted as a pass.
#include "route_checks.h"

#include <algorithm>
#include <map>
#include <set>

#include "meshproof/engine/text.h"
#include "meshproof/solver/checks.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/route_solver.h"

namespace meshproof {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool AllMethods(const HttpMatch& m) {
  return m.methods.empty() || std::find(m.methods.begin(), m.methods.end(), "*") != m.methods.end();
}

class RouteChecker {
 public:
  RouteChecker(const RouteGraph& g, const CheckOptions& o, Diagnostics* out)
      : g_(g),
        m_(g.model()),
        p_(g.profile()),
        o_(o),
        out_(out),
        solver_(o.solver_timeout_ms, o.solver_budget) {}

  bool TargetInScope(std::size_t t) const {
    return !o_.route_target_scope || o_.route_target_scope(m_.traffic_targets[t]);
  }
  bool GroupInScope(std::size_t gi) const {
    return !o_.route_group_scope || o_.route_group_scope(m_.http_route_groups[gi]);
  }

  void Run() {
    for (std::size_t gi = 0; gi < m_.http_route_groups.size(); ++gi) CheckGroup(gi);
    CheckRedundancy();
    CheckBroadGrants();
    if (o_.portability && p_.EnforcesAccess()) CheckRoutePortability();
  }

 private:
  std::string MatchPath(const HTTPRouteGroup& g, std::size_t k) const {
    return std::string(g.meta.smi_version <= 2 ? "matches" : "spec.matches") + "[" +
           std::to_string(k) + "]";
  }

  Diagnostic& Report(DiagCode code, const ObjectMeta& meta, const std::string& path,
                     std::string msg) {
    return out_->Report(code, meta.LocOf(path), std::move(msg), meta.ref());
  }

  void Unknown(const ObjectMeta& meta, const std::string& path, const std::string& what,
               const StringAnswer& a) {
    Report(DiagCode::MP9001, meta, path,
           what + " is inconclusive: " + a.detail + " (not counted as a pass)");
  }

  // MP2001, MP2002, MP2004 for each match of one group.
  void CheckGroup(std::size_t gi) {
    const HTTPRouteGroup& g = m_.http_route_groups[gi];
    if (!GroupInScope(gi)) {
      // Out of scope: no findings, but other checks still need to know what is unusable.
      for (std::size_t k = 0; k < g.matches.size(); ++k) {
        const HttpMatch& hm = g.matches[k];
        bool valid = !hm.path_regex || CheckRegex(*hm.path_regex).ok;
        for (const HeaderMatch& h : hm.headers) valid = valid && CheckRegex(h.value).ok;
        if (!valid) {
          invalid_.insert({gi, k});
        } else if (hm.path_regex &&
                   solver_.Example(*hm.path_regex, p_.path_anchoring, "/").status ==
                       SolveStatus::kUnsat) {
          empty_.insert({gi, k});
        }
      }
      return;
    }
    for (std::size_t k = 0; k < g.matches.size(); ++k) {
      const HttpMatch& hm = g.matches[k];
      const std::string mp = MatchPath(g, k);
      bool valid = true;
      if (hm.path_regex) {
        RegexCheck c = CheckRegex(*hm.path_regex);
        if (!c.ok) {
          Report(DiagCode::MP2001, g.meta, mp + ".pathRegex",
                 "pathRegex '" + Abbreviate(*hm.path_regex) + "' of match " + hm.name + ": " +
                     c.error +
                     "; the match can never be evaluated as written (Envoy rejects the route)");
          valid = false;
        }
      }
      for (std::size_t h = 0; h < hm.headers.size(); ++h) {
        RegexCheck c = CheckRegex(hm.headers[h].value);
        if (!c.ok) {
          Report(DiagCode::MP2001, g.meta,
                 hm.headers[h].loc.path.empty() ? mp : StripPrefix(hm.headers[h].loc.path, g.meta),
                 "header " + hm.headers[h].name + " regex '" + Abbreviate(hm.headers[h].value) +
                     "' of match " + hm.name + ": " + c.error);
          valid = false;
        }
      }
      if (!valid) {
        invalid_.insert({gi, k});
        continue;
      }
      // MP2002: a dimension that admits nothing.
      if (hm.path_regex) {
        StringAnswer ex = solver_.Example(*hm.path_regex, p_.path_anchoring, "/");
        if (ex.status == SolveStatus::kUnsat) {
          std::string hint =
              (*hm.path_regex)[0] != '/' && (*hm.path_regex)[0] != '^' && (*hm.path_regex)[0] != '.'
                  ? " (request paths start with '/')"
                  : "";
          Report(DiagCode::MP2002, g.meta, mp + ".pathRegex",
                 "match " + hm.name + " can match no request: pathRegex '" + *hm.path_regex +
                     "' admits no path" + hint);
          empty_.insert({gi, k});
        } else if (ex.status == SolveStatus::kUnknown) {
          Unknown(g.meta, mp + ".pathRegex",
                  "whether pathRegex '" + Abbreviate(*hm.path_regex) + "' admits any path", ex);
        }
      }
      for (const HeaderMatch& h : hm.headers) {
        StringAnswer ex = solver_.Example(h.value, p_.header_anchoring);
        if (ex.status == SolveStatus::kUnsat) {
          Report(DiagCode::MP2002, g.meta, mp + ".headers",
                 "match " + hm.name + " can match no request: header " + h.name + " regex '" +
                     h.value + "' admits no value");
          empty_.insert({gi, k});
        }
      }
      // MP2004: the spec's prefix reading against Envoy's full match.
      if (hm.path_regex && !empty_.count({gi, k})) {
        StringAnswer d =
            solver_.Difference(*hm.path_regex, RegexAnchoring::kPrefix, RegexAnchoring::kFull, "/");
        if (d.status == SolveStatus::kSat) {
          Diagnostic& diag = Report(
              DiagCode::MP2004, g.meta, mp + ".pathRegex",
              "pathRegex '" + Abbreviate(*hm.path_regex) + "' of match " + hm.name +
                  " is anchoring-sensitive: the spec reads it " + "as a prefix and admits '" +
                  d.witness + "', Envoy-based meshes (OSM) match the whole path and " +
                  "reject it; write '" + *hm.path_regex + "$' for an exact path or '" +
                  *hm.path_regex + "(/.*)?' for a subtree");
          Witness w;
          w.method = hm.methods.empty() || AllMethods(hm) ? "GET" : hm.methods[0];
          w.path = d.witness;
          diag.witness = w;
        } else if (d.status == SolveStatus::kUnknown) {
          Unknown(g.meta, mp + ".pathRegex",
                  "the anchoring check of '" + Abbreviate(*hm.path_regex) + "'", d);
        }
      }
    }
  }

  static std::string StripPrefix(const std::string& path, const ObjectMeta& meta) {
    return path.rfind(meta.loc.path, 0) == 0 ? path.substr(meta.loc.path.size()) : path;
  }

  // MP2003: a match whose requests the other matches granted to the same sources (on the
  // same destination) already allow. Sound, not complete: a covering match must allow
  // every method of this one and require no header this one does not require alike.
  void CheckRedundancy() {
    // (destination identity, source identity) -> granted matches
    std::map<std::pair<IdentityId, IdentityId>, std::set<std::pair<std::size_t, std::size_t>>>
        granted;
    std::set<IdentityId> in_scope;
    for (const Grant& gr : g_.grants()) {
      if (gr.applied && gr.destination != kNoId && TargetInScope(gr.target))
        in_scope.insert(gr.destination);
    }
    for (const Grant& gr : g_.grants()) {
      if (!gr.applied || gr.destination == kNoId || !in_scope.count(gr.destination)) continue;
      for (IdentityId src : gr.sources) {
        for (const GrantedMatch& gm : gr.http_matches)
          granted[{gr.destination, src}].insert({gm.group, gm.match});
      }
    }
    std::map<std::pair<std::size_t, std::size_t>, std::set<std::pair<std::size_t, std::size_t>>>
        covered_by;
    std::set<std::pair<std::size_t, std::size_t>> not_redundant;
    std::map<std::set<std::pair<std::size_t, std::size_t>>, bool> done;
    for (const auto& [edge, matches] : granted) {
      if (matches.size() < 2 || done.count(matches)) continue;
      done[matches] = true;
      for (const auto& mine : matches) {
        if (invalid_.count(mine) || empty_.count(mine) || not_redundant.count(mine)) continue;
        const HttpMatch& hm = m_.http_route_groups[mine.first].matches[mine.second];
        std::vector<std::string> others;
        std::set<std::pair<std::size_t, std::size_t>> cover;
        for (const auto& theirs : matches) {
          if (theirs == mine || invalid_.count(theirs)) continue;
          const HttpMatch& om = m_.http_route_groups[theirs.first].matches[theirs.second];
          if (!Covers(om, hm)) continue;
          others.push_back(om.path_regex.value_or(".*"));
          cover.insert(theirs);
        }
        if (others.empty()) {
          not_redundant.insert(mine);
          continue;
        }
        StringAnswer a = solver_.Uncovered(hm.path_regex.value_or(".*"), others, p_.path_anchoring);
        if (a.status == SolveStatus::kUnsat) {
          covered_by[mine].insert(cover.begin(), cover.end());
        } else if (a.status == SolveStatus::kUnknown) {
          const HTTPRouteGroup& g = m_.http_route_groups[mine.first];
          Unknown(g.meta, MatchPath(g, mine.second), "the redundancy check of match " + hm.name, a);
          not_redundant.insert(mine);
        } else {
          not_redundant.insert(mine);
        }
      }
    }
    for (const auto& [mine, cover] : covered_by) {
      if (not_redundant.count(mine)) continue;
      const HTTPRouteGroup& g = m_.http_route_groups[mine.first];
      std::string names;
      for (const auto& c : cover) {
        const HTTPRouteGroup& cg = m_.http_route_groups[c.first];
        names += (names.empty() ? "" : ", ") + (c.first == mine.first ? "" : cg.meta.name + "/") +
                 cg.matches[c.second].name;
      }
      Report(DiagCode::MP2003, g.meta, MatchPath(g, mine.second),
             "match " + g.matches[mine.second].name +
                 " is redundant: everything it allows is already allowed by " + names +
                 " for the same sources");
    }
  }

  // Whether `other` allows every method of `mine` and asks nothing `mine` does not.
  static bool Covers(const HttpMatch& other, const HttpMatch& mine) {
    if (!AllMethods(other)) {
      if (AllMethods(mine)) return false;
      for (const auto& m : mine.methods) {
        if (std::find(other.methods.begin(), other.methods.end(), m) == other.methods.end())
          return false;
      }
    }
    for (const HeaderMatch& h : other.headers) {
      bool same = std::any_of(mine.headers.begin(), mine.headers.end(), [&](const HeaderMatch& x) {
        return Lower(x.name) == Lower(h.name) && x.value == h.value;
      });
      if (!same) return false;
    }
    return true;
  }

  // MP1008: any path and any method, to many identities.
  void CheckBroadGrants() {
    for (const Grant& gr : g_.grants()) {
      if (!gr.applied || !TargetInScope(gr.target)) continue;
      const TrafficTarget& t = m_.traffic_targets[gr.target];
      const bool many =
          gr.any_source_on_tcp || static_cast<int>(gr.sources.size()) >= o_.broad_grant_sources;
      if (!many) continue;
      std::string what;
      if (gr.http_all) {
        what = "all traffic (no rules)";
      } else {
        for (const GrantedMatch& gm : gr.http_matches) {
          const HttpMatch& hm = m_.http_route_groups[gm.group].matches[gm.match];
          if (!AllMethods(hm) || !hm.headers.empty() || invalid_.count({gm.group, gm.match}))
            continue;
          bool any_path = !hm.path_regex;
          if (hm.path_regex) {
            StringAnswer r = solver_.Rejected(*hm.path_regex, p_.path_anchoring);
            any_path = r.status == SolveStatus::kUnsat;
          }
          if (any_path) {
            what = "any method on any path (match " + m_.http_route_groups[gm.group].meta.name +
                   "/" + hm.name + ")";
            break;
          }
        }
      }
      if (what.empty()) continue;
      std::string who = gr.any_source_on_tcp ? std::string("any caller")
                                             : std::to_string(gr.sources.size()) + " identities";
      Report(DiagCode::MP1008, t.meta, t.meta.smi_version == 1 ? "specs" : "spec.rules",
             "over-broad grant: " + who + " may send " + what + " to " + t.destination.namespace_ +
                 "/" + t.destination.name + " (threshold " +
                 std::to_string(o_.broad_grant_sources) +
                 " identities; overBroadSources in .meshproof.yaml)");
    }
  }

  // MP4001 at route level: a request a granted match admits under one profile's path
  // anchoring and not under another's. Reported only when evaluating that very request
  // under both profiles gives different verdicts (another match may still allow it).
  void CheckRoutePortability() {
    for (const Profile& prof : AllProfiles()) {
      if (!prof.evaluates_access || prof.path_anchoring == p_.path_anchoring) continue;
      Profile other = prof;
      other.served = GetProfile(ProfileId::kSpec).served;  // interpretations, not versions
      RouteGraph og = CompileGraph(m_, other);
      std::set<std::pair<std::size_t, std::pair<std::size_t, std::size_t>>> done;
      for (const Grant& gr : g_.grants()) {
        if (!gr.applied || gr.destination == kNoId || gr.sources.empty() ||
            !TargetInScope(gr.target))
          continue;
        const ServiceNode* svc = nullptr;
        const ServicePortInfo* port = nullptr;
        for (ServiceId sid : g_.ServicesOf(gr.destination)) {
          for (const auto& sp : g_.services()[sid].ports) {
            if (!port && sp.protocol == PortProtocol::kHttp) {
              svc = &g_.services()[sid];
              port = &sp;
            }
          }
        }
        if (port == nullptr) continue;
        for (const GrantedMatch& gm : gr.http_matches) {
          if (!done.insert({gr.target, {gm.group, gm.match}}).second ||
              invalid_.count({gm.group, gm.match}))
            continue;
          const HTTPRouteGroup& grp = m_.http_route_groups[gm.group];
          const HttpMatch& hm = grp.matches[gm.match];
          if (!hm.path_regex) continue;
          StringAnswer d =
              solver_.Difference(*hm.path_regex, p_.path_anchoring, other.path_anchoring, "/");
          if (d.status != SolveStatus::kSat) {
            d = solver_.Difference(*hm.path_regex, other.path_anchoring, p_.path_anchoring, "/");
          }
          if (d.status != SolveStatus::kSat) continue;
          QueryRequest q;
          q.from = g_.identities()[gr.sources.front()].key();
          q.to = svc->key();
          q.port = port->port;
          q.method = hm.methods.empty() || hm.methods[0] == "*" ? "GET" : hm.methods[0];
          q.path = d.witness;
          for (const HeaderMatch& h : hm.headers) {
            StringAnswer v = solver_.Example(h.value, p_.header_anchoring);
            if (v.status == SolveStatus::kSat) q.headers.emplace_back(h.name, v.witness);
          }
          q.exact_headers = true;
          q.explain = false;
          QueryAnswer mine = Query(g_, q, o_.solver_timeout_ms, o_.solver_budget);
          QueryAnswer theirs = Query(og, q, o_.solver_timeout_ms, o_.solver_budget);
          if (mine.verdict == theirs.verdict) continue;
          const TrafficTarget& t = m_.traffic_targets[gr.target];
          Diagnostic& diag =
              Report(DiagCode::MP4001, t.meta, t.meta.smi_version == 1 ? "specs" : "spec.rules",
                     "route-level portability: " + *q.method + " " + d.witness + " from " + q.from +
                         " to " + q.to + ":" + std::to_string(port->port) + " is " +
                         VerdictName(mine.verdict) + " under " + p_.name + " and " +
                         VerdictName(theirs.verdict) + " under " + prof.name + " (match " +
                         grp.meta.name + "/" + hm.name + ": pathRegex '" + *hm.path_regex +
                         "' is read " + Reading(p_.path_anchoring) + " by " + p_.name + ", " +
                         Reading(other.path_anchoring) + " by " + prof.name + ")");
          diag.related.push_back(grp.meta.ref());
          diag.group = "TrafficTarget " + t.meta.namespace_ + "/" + t.meta.name + " under " +
                       p_.name + " and " + prof.name;
          Witness w;
          w.source = q.from;
          w.destination = q.to;
          w.port = port->port;
          w.method = *q.method;
          w.path = d.witness;
          w.headers = q.headers;
          diag.witness = w;
        }
      }
    }
  }

  static const char* Reading(RegexAnchoring a) {
    switch (a) {
      case RegexAnchoring::kPrefix:
        return "as a prefix";
      case RegexAnchoring::kFull:
        return "as a full match";
      case RegexAnchoring::kSearch:
        return "as a search";
    }
    return "?";
  }

  const RouteGraph& g_;
  const MeshModel& m_;
  const Profile& p_;
  const CheckOptions& o_;
  Diagnostics* out_;
  RouteSolver solver_;
  std::set<std::pair<std::size_t, std::size_t>> invalid_, empty_;
};

}  // namespace

void RunRouteChecks(const RouteGraph& graph, const CheckOptions& options, Diagnostics* out) {
  RouteChecker(graph, options, out).Run();
}

}  // namespace meshproof
