#include "meshproof/solver/diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "meshproof/engine/graph.h"
#include "meshproof/engine/names.h"
#include "meshproof/engine/numeric.h"
#include "meshproof/engine/render.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"
#include "meshproof/solver/route_solver.h"
#include "meshproof/solver/verify.h"

namespace meshproof {
namespace {

// kind/ns/name -> content hash (independent of file, position and formatting).
std::map<std::string, std::uint64_t> Fingerprints(const LoadResult& r) {
  std::map<std::string, std::uint64_t> out;
  r.model.ForEachMeta([&](const ObjectMeta& m) {
    out[m.kind + "/" + m.namespace_ + "/" + m.name] = m.content_hash;
  });
  return out;
}

// "kind/ns/name" as Fingerprints writes it.
ObjectRef RefOf(const std::string& key) {
  const auto a = key.find('/');
  const auto n = NamespacedName::Parse(key.substr(a + 1), "");
  return n ? ObjectRef{key.substr(0, a), n->namespace_, n->name} : ObjectRef{key, "", ""};
}

double AllowedShare(const QueryAnswer& a) {
  return a.verdict == Verdict::kDeny ? 0.0 : 1.0 - a.denied_share;
}

class Differ {
 public:
  Differ(const LoadResult& base, const LoadResult& next, const DiffOptions& o)
      : base_(base),
        next_(next),
        o_(o),
        g0_(CompileGraph(base.model, GetProfile(o.profile, o.permissive))),
        g1_(CompileGraph(next.model, GetProfile(o.profile, o.permissive))),
        solver_(o.solver_timeout_ms, &budget_) {}

  DiffResult Run() {
    DiffResult r;
    std::set<std::string> changed = ChangedObjects(&r);
    std::set<std::string> services = AffectedServices(changed);
    changed_ = changed;
    affected_services_ = services;
    for (const std::string& svc : services) DiffService(svc, &r);
    DiffShares(&r);
    if (o_.findings) DiffFindings(&r);
    bool granted = false, revoked = false;
    for (const auto& s : r.slices) {
      granted = granted || s.granted;
      revoked = revoked || s.revoked;
    }
    r.verdict = granted && revoked ? DiffVerdict::kIncomparable
                : granted          ? DiffVerdict::kMorePermissive
                : revoked          ? DiffVerdict::kLessPermissive
                                   : DiffVerdict::kEqual;
    r.unknown = unknown_;
    return r;
  }

 private:
  std::set<std::string> ChangedObjects(DiffResult* r) {
    auto a = Fingerprints(base_);
    auto b = Fingerprints(next_);
    std::set<std::string> changed;
    for (const auto& [k, v] : a) {
      auto it = b.find(k);
      if (it == b.end() || it->second != v) changed.insert(k);
    }
    for (const auto& [k, v] : b) {
      if (!a.count(k)) changed.insert(k);
    }
    for (const auto& k : changed) r->changed_objects.push_back(RefOf(k));
    return changed;
  }

  // Services whose slices a change can touch, as ns/name, over both versions.
  std::set<std::string> AffectedServices(const std::set<std::string>& changed) {
    std::set<std::string> identities, services;
    std::set<std::pair<std::string, std::string>> routes;  // (ns, name) of changed route objects
    for (const std::string& key : changed) {
      ObjectRef ref = RefOf(key);
      if (ref.kind == "HTTPRouteGroup" || ref.kind == "TCPRoute" || ref.kind == "UDPRoute") {
        routes.insert({ref.namespace_, ref.name});
      } else if (ref.kind == "Service") {
        services.insert(ref.namespace_ + "/" + ref.name);
      } else if (ref.kind == "ServiceAccount") {
        identities.insert(ref.namespace_ + "/" + ref.name);
      }
    }
    for (const LoadResult* side : {&base_, &next_}) {
      const MeshModel& m = side->model;
      for (const TrafficTarget& t : m.traffic_targets) {
        bool touched = changed.count("TrafficTarget/" + t.meta.namespace_ + "/" + t.meta.name) > 0;
        for (const RouteRef& rule : t.rules)
          touched = touched || routes.count({t.meta.namespace_, rule.name});
        if (touched) identities.insert(t.destination.namespace_ + "/" + t.destination.name);
      }
      for (const Workload& w : m.workloads) {
        if (changed.count(std::string(w.meta.kind) + "/" + w.meta.namespace_ + "/" + w.meta.name)) {
          identities.insert(w.meta.namespace_ + "/" + w.service_account);
          for (const Service& s : m.services) {  // services selecting it
            if (s.meta.namespace_ != w.meta.namespace_ || !s.has_selector) continue;
            bool selects = std::all_of(s.selector.begin(), s.selector.end(), [&](const auto& kv) {
              auto it = w.pod_labels.find(kv.first);
              return it != w.pod_labels.end() && it->second == kv.second;
            });
            if (selects) services.insert(s.meta.namespace_ + "/" + s.meta.name);
          }
        }
      }
      for (const TrafficSplit& ts : m.traffic_splits) {
        if (!changed.count("TrafficSplit/" + ts.meta.namespace_ + "/" + ts.meta.name)) continue;
        auto root =
            ResolveRootName(ts.root_service, ts.meta.namespace_, RootForm::kAnyIgnoreNamespace);
        if (root) services.insert(ts.meta.namespace_ + "/" + *root);
        for (const auto& b : ts.backends) services.insert(ts.meta.namespace_ + "/" + b.service);
      }
    }
    // Identities -> the Services their pods serve, on either side.
    for (const RouteGraph* g : {&g0_, &g1_}) {
      for (const std::string& id : identities) {
        const auto n = NamespacedName::Parse(id, "");
        const IdentityId iid = n ? g->FindIdentity(n->namespace_, n->name) : kNoId;
        if (iid == kNoId) continue;
        for (ServiceId sid : g->ServicesOf(iid)) services.insert(g->services()[sid].key());
      }
    }
    // Split roots whose backends are affected.
    std::set<std::string> roots;
    for (const RouteGraph* g : {&g0_, &g1_}) {
      for (const SplitNode& s : g->splits()) {
        if (s.root == kNoId) continue;
        for (const auto& b : s.backends) {
          if (b.service_id != kNoId && services.count(g->services()[b.service_id].key())) {
            roots.insert(g->services()[s.root].key());
          }
        }
      }
    }
    services.insert(roots.begin(), roots.end());
    return services;
  }

  static std::pair<std::string, std::string> Split(const std::string& key) {
    const auto n = NamespacedName::Parse(key, "");
    return n ? std::pair{n->namespace_, n->name} : std::pair{std::string(), key};
  }

  // A comparable description of one slice on one side: receivers, shares and grants.
  std::string Structure(const RouteGraph& g, IdentityId src, ServiceId sid, int port) {
    if (src == kNoId || sid == kNoId) return "absent";
    ReachEntry e = EvaluateReach(g, src, sid, port);
    std::string out = std::string(PortProtocolName(e.protocol));
    const MeshModel& m = g.model();
    for (const auto& pr : e.receivers) {
      char share[32];
      std::snprintf(share, sizeof share, "%.12g", pr.share);
      out += "|" + g.identities()[pr.identity].key() + ":" + std::to_string(pr.target_port) + "@" +
             share + "=" + std::to_string(static_cast<int>(pr.access.level));
      std::set<std::string> matches;
      for (const GrantedMatch& gm : pr.access.matches) {
        const HttpMatch& hm = m.http_route_groups[gm.group].matches[gm.match];
        std::string d = hm.path_regex.value_or("<any>") + "#";
        for (const auto& meth : hm.methods) d += meth + ",";
        d += "#";
        for (const auto& h : hm.headers) d += h.name + "=" + h.value + ";";
        matches.insert(d);
      }
      for (const auto& x : matches) out += "{" + x + "}";
    }
    return out;
  }

  void DiffService(const std::string& key, DiffResult* r) {
    auto [ns, name] = Split(key);
    ServiceId s0 = g0_.FindService(ns, name), s1 = g1_.FindService(ns, name);
    std::set<int> ports;
    std::map<int, std::string> protocol;
    for (auto [g, sid] : {std::pair{&g0_, s0}, std::pair{&g1_, s1}}) {
      if (sid == kNoId) continue;
      for (const auto& p : g->services()[sid].ports) {
        ports.insert(p.port);
        protocol[p.port] = PortProtocolName(p.protocol);
      }
    }
    std::set<std::string> sources;
    for (auto [g, sid] : {std::pair{&g0_, s0}, std::pair{&g1_, s1}}) {
      if (sid == kNoId) continue;
      for (IdentityId id : CandidateSources(*g, sid)) sources.insert(g->identities()[id].key());
    }
    for (const std::string& src : sources) {
      auto [sns, sname] = Split(src);
      IdentityId i0 = g0_.FindIdentity(sns, sname), i1 = g1_.FindIdentity(sns, sname);
      for (int port : ports) {
        ++r->slices_examined;
        if (Structure(g0_, i0, s0, port) == Structure(g1_, i1, s1, port)) {
          ++r->slices_structural;
          continue;
        }
        SliceChange c;
        c.source = src;
        c.destination = key;
        c.port = port;
        c.protocol = protocol[port];
        for (const QueryRequest& q : Candidates(src, key, port, i0, s0, i1, s1)) {
          QueryAnswer a0 = Query(g0_, q, o_.solver_timeout_ms, &budget_);
          QueryAnswer a1 = Query(g1_, q, o_.solver_timeout_ms, &budget_);
          unknown_ = unknown_ || a0.unknown || a1.unknown;
          double before = AllowedShare(a0), after = AllowedShare(a1);
          if (after > before + kShareTolerance && !c.grant) {
            c.granted = true;
            c.grant = Example(q, a0, a1);
          } else if (before > after + kShareTolerance && !c.revoke) {
            c.revoked = true;
            c.revoke = Example(q, a0, a1);
          }
          if (c.grant && c.revoke) break;
        }
        if (c.granted || c.revoked) r->slices.push_back(std::move(c));
      }
    }
  }

  SliceChange::Example Example(const QueryRequest& q, const QueryAnswer& a0,
                               const QueryAnswer& a1) {
    SliceChange::Example e;
    e.request.source = q.from;
    e.request.destination = q.to;
    e.request.port = q.port.value_or(0);
    e.request.method = q.method.value_or("");
    e.request.path = q.path.value_or("");
    e.request.headers = q.headers;
    e.base_verdict = a0.verdict;
    e.new_verdict = a1.verdict;
    e.base_allowed_share = AllowedShare(a0);
    e.new_allowed_share = AllowedShare(a1);
    auto objects = [](const QueryAnswer& a) {
      std::set<std::string> out;
      for (const auto& p : a.ports) {
        for (const auto& b : p.because) out.insert(b.traffic_target);
      }
      return std::vector<std::string>(out.begin(), out.end());
    };
    e.base_objects = objects(a0);
    e.new_objects = objects(a1);
    return e;
  }

  // Concrete requests that can tell the two versions of a slice apart: each granted
  // match's own example, and for every match of one side, a request it admits that no
  // compatible match of the other side admits (Z3, one membership per question).
  std::vector<QueryRequest> Candidates(const std::string& src, const std::string& svc, int port,
                                       IdentityId i0, ServiceId s0, IdentityId i1, ServiceId s1) {
    struct Side {
      const RouteGraph* g;
      std::vector<const HttpMatch*> matches;
      bool all = false;
    };
    Side sides[2] = {{&g0_, {}, false}, {&g1_, {}, false}};
    IdentityId ids[2] = {i0, i1};
    ServiceId sids[2] = {s0, s1};
    PortProtocol proto = PortProtocol::kHttp;
    for (int k = 0; k < 2; ++k) {
      if (ids[k] == kNoId || sids[k] == kNoId) continue;
      ReachEntry e = EvaluateReach(*sides[k].g, ids[k], sids[k], port);
      proto = e.protocol;
      for (const auto& pr : e.receivers) {
        if (pr.access.level == PortAccess::Level::kAll) sides[k].all = true;
        for (const GrantedMatch& gm : pr.access.matches) {
          sides[k].matches.push_back(
              &sides[k].g->model().http_route_groups[gm.group].matches[gm.match]);
        }
      }
    }
    std::vector<QueryRequest> out;
    auto base = [&]() {
      QueryRequest q;
      q.from = src;
      q.to = svc;
      q.port = port;
      q.exact_headers = true;
      return q;
    };
    if (proto != PortProtocol::kHttp) {
      out.push_back(base());
      return out;
    }
    const Profile& prof = GetProfile(o_.profile, o_.permissive);
    {
      QueryRequest q = base();
      q.method = "GET";
      q.path = "/";
      out.push_back(q);
    }
    for (int k = 0; k < 2; ++k) {
      const Side& mine = sides[k];
      const Side& other = sides[1 - k];
      for (const HttpMatch* hm : mine.matches) {
        QueryRequest q = base();
        q.method = hm->methods.empty() || hm->methods[0] == "*" ? "GET" : hm->methods[0];
        for (const HeaderMatch& h : hm->headers) {
          StringAnswer v = solver_.Example(h.value, prof.header_anchoring);
          if (v.status == SolveStatus::kSat) q.headers.emplace_back(h.name, v.witness);
        }
        std::string pattern = hm->path_regex.value_or(".*");
        StringAnswer ex = solver_.Example(pattern, prof.path_anchoring, "/");
        if (ex.status == SolveStatus::kSat) {
          q.path = ex.witness;
          out.push_back(q);
        }
        if (other.all) continue;
        // Other side's matches that could admit this request's method and headers.
        std::vector<std::string> others;
        for (const HttpMatch* om : other.matches) {
          bool method_ok =
              om->methods.empty() ||
              std::any_of(om->methods.begin(), om->methods.end(),
                          [&](const std::string& m) { return m == "*" || m == *q.method; });
          bool headers_ok = MatchAdmits(*om, prof, *q.method, "", q.headers);
          if (method_ok && headers_ok) others.push_back(om->path_regex.value_or(".*"));
        }
        StringAnswer u = solver_.Uncovered(pattern, others, prof.path_anchoring, "/");
        if (u.status == SolveStatus::kUnknown) unknown_ = true;
        if (u.status == SolveStatus::kSat && !u.witness.empty() && u.witness[0] == '/') {
          q.path = u.witness;
          out.push_back(q);
        }
      }
    }
    return out;
  }

  void DiffShares(DiffResult* r) {
    std::map<std::string, std::map<std::string, std::pair<double, double>>> roots;
    std::map<std::string, std::string> names;
    for (int k = 0; k < 2; ++k) {
      const RouteGraph& g = k == 0 ? g0_ : g1_;
      for (const SplitNode& s : g.splits()) {
        if (!s.applied || s.root == kNoId) continue;
        const std::string root = g.services()[s.root].key();
        const auto& ts = g.model().traffic_splits[s.split];
        names[root] = ts.meta.namespace_ + "/" + ts.meta.name;
        for (const auto& b : s.backends) {
          auto& pair = roots[root][b.service];
          (k == 0 ? pair.first : pair.second) += b.share;
        }
      }
    }
    // A root that lost or gained its split entirely: its own endpoints take (or give) 100%.
    for (auto& [root, backends] : roots) {
      bool changed = false;
      ShareChange c;
      c.root = root;
      c.split = names[root];
      for (const auto& [svc, pair] : backends) {
        if (std::abs(pair.first - pair.second) > kShareTolerance) changed = true;
        c.backends.push_back({svc, pair.first, pair.second});
      }
      if (changed) r->shares.push_back(std::move(c));
    }
  }

  // Route-level findings depend only on a TrafficTarget, its routes, its destination's
  // Services and the grants there: outside the affected region they are the same on both
  // sides, so only the region is re-checked.
  bool TargetAffected(const TrafficTarget& t, const RouteGraph& g) const {
    if (changed_.count("TrafficTarget/" + t.meta.namespace_ + "/" + t.meta.name)) return true;
    for (const RouteRef& r : t.rules) {
      for (const char* kind : {"HTTPRouteGroup/", "TCPRoute/", "UDPRoute/"}) {
        if (changed_.count(kind + t.meta.namespace_ + "/" + r.name)) return true;
      }
    }
    IdentityId d = g.FindIdentity(t.destination.namespace_, t.destination.name);
    if (d == kNoId) return false;
    for (ServiceId sid : g.ServicesOf(d)) {
      if (affected_services_.count(g.services()[sid].key())) return true;
    }
    return false;
  }

  void DiffFindings(DiffResult* r) {
    VerifyOptions vo;
    vo.profile = o_.profile;
    vo.permissive = o_.permissive;
    VerifyOptions v0 = vo, v1 = vo;
    v0.route_target_scope = [this](const TrafficTarget& t) { return TargetAffected(t, g0_); };
    v1.route_target_scope = [this](const TrafficTarget& t) { return TargetAffected(t, g1_); };
    auto group_scope = [this](const HTTPRouteGroup& hg) {
      return changed_.count("HTTPRouteGroup/" + hg.meta.namespace_ + "/" + hg.meta.name) > 0;
    };
    v0.route_group_scope = group_scope;
    v1.route_group_scope = group_scope;
    // Both versions at once: independent inputs, one solver context per thread.
    Diagnostics d0;
    std::thread other([&] { d0 = Verify(base_, v0); });
    Diagnostics d1 = Verify(next_, v1);
    other.join();
    // A finding is the same finding when its code, object and YAML path are: numbers in
    // its message (a share, a count) may change without it being new or fixed.
    auto key = [](const Diagnostic& d) {
      std::string res =
          d.resource ? d.resource->kind + "/" + d.resource->namespace_ + "/" + d.resource->name
                     : "";
      return std::string(InfoOf(d.code).id) + "|" + res + "|" + d.location.path;
    };
    std::multiset<std::string> k0, k1;
    for (const auto& d : d0.items()) k0.insert(key(d));
    for (const auto& d : d1.items()) k1.insert(key(d));
    auto ref = [](const Diagnostic& d, const SourceSet& src) {
      FindingRef f;
      f.code = d.code;
      f.severity = d.severity;
      f.message = d.message;
      if (d.location.file < src.size()) f.file = src.name(d.location.file);
      f.line = d.location.line;
      f.column = d.location.column;
      f.resource = d.resource;
      return f;
    };
    for (const auto& d : d1.items()) {
      auto it = k0.find(key(d));
      if (it == k0.end()) {
        r->new_findings.push_back(ref(d, next_.sources));
      } else {
        k0.erase(it);
      }
    }
    for (const auto& d : d0.items()) {
      auto it = k1.find(key(d));
      if (it == k1.end()) {
        r->fixed_findings.push_back(ref(d, base_.sources));
      } else {
        k1.erase(it);
      }
    }
  }

  const LoadResult& base_;
  const LoadResult& next_;
  const DiffOptions& o_;
  RouteGraph g0_, g1_;
  SolverBudget budget_;  // the diff's solver work, all slices together
  RouteSolver solver_;
  bool unknown_ = false;
  std::set<std::string> changed_;
  std::set<std::string> affected_services_;
};

}  // namespace

DiffResult Diff(const LoadResult& base, const LoadResult& next, const DiffOptions& options) {
  return Differ(base, next, options).Run();
}

const char* DiffVerdictName(DiffVerdict v) {
  switch (v) {
    case DiffVerdict::kEqual:
      return "equal";
    case DiffVerdict::kMorePermissive:
      return "more-permissive";
    case DiffVerdict::kLessPermissive:
      return "less-permissive";
    case DiffVerdict::kIncomparable:
      return "incomparable";
  }
  return "equal";
}

}  // namespace meshproof
