// canary_checks.cc: verify's Flagger checks (canary_checks.h).
#include "meshproof/simulator/canary_checks.h"

#include <algorithm>
#include <set>
#include <vector>

#include "meshproof/engine/model_index.h"
#include "meshproof/simulator/flagger.h"

namespace meshproof::sim {
namespace {

std::string List(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == items.size() ? " and " : ", ");
    out += items[i];
  }
  return out;
}

// The access-policy view of one Canary: who calls its Service today and what the
// canary's identity admits of them.
class CanaryAccess {
 public:
  CanaryAccess(const RouteGraph& g, const CanarySpec& c, const Workload& target)
      : g_(g), c_(c), target_(target) {
    canary_ = g.FindIdentity(target.meta.namespace_, target.service_account);
    pod_port_ = PodPort();
    CollectCallers();
  }

  // Appends MP7004/MP7005 when the canary's identity keeps callers out.
  void Report(Diagnostics* out) const {
    const bool nobody = !AdmitsAnyone();
    std::vector<IdentityId> denied;
    for (IdentityId id : callers_) {
      if (!Admits(id)) denied.push_back(id);
    }
    if (!nobody && denied.empty()) return;
    std::vector<std::size_t> related;  // TrafficTargets that open the old identities
    std::vector<IdentityId> witnesses = denied;
    std::string opened;
    if (nobody) {
      opened = OrphanHint(&related, &witnesses);
    } else {
      opened = OldIdentityHint(denied, &related);
    }
    if (witnesses.empty()) witnesses = LoadTester();
    const bool rollback = nobody && AnyCheckFailsOnDenials();
    const std::string msg = Message(rollback, nobody, denied, opened);
    Diagnostic& d = out->Report(rollback ? DiagCode::MP7005 : DiagCode::MP7004, c_.loc, msg,
                                ObjectRef{"Canary", c_.namespace_, c_.name});
    d.related.push_back(target_.meta.ref());
    const MeshModel& m = g_.model();
    for (std::size_t t : related) d.related.push_back(m.traffic_targets[t].meta.ref());
    for (IdentityId from : witnesses) {
      // The witness is re-checked against the compiled policy before it is shown.
      if (Admits(from)) continue;
      d.witness = Witness{
          g_.identities()[from].key(), c_.namespace_ + "/" + c_.service, c_.port, "GET", "/", {}};
      break;
    }
  }

 private:
  // What Flagger will do, and why: who the canary's identity keeps out (`opened` names
  // the TrafficTargets that open the old identity), then the rollback or the promotion.
  std::string Message(bool rollback, bool nobody, const std::vector<IdentityId>& denied,
                      const std::string& opened) const {
    const std::string who = "Deployment " + c_.target + " runs as " + CanaryKey() +
                            ", which no TrafficTarget opens to " +
                            (nobody ? std::string("any caller") : Keys(denied)) + opened;
    std::string msg;
    if (rollback) {
      msg = "Flagger will roll back Canary " + c_.namespace_ + "/" + c_.name + ": " + who +
            "; every request to the canary is denied and " + FailingCheck() +
            ", a failed check every interval until the threshold (" + std::to_string(c_.threshold) +
            ")";
    } else {
      const std::string why = nobody
                                  ? WhyChecksPass()
                                  : "the admitted callers' requests pass the checks (provider " +
                                        c_.metrics_provider +
                                        " does not count the denials as failures" + Caveat() + ")";
      msg = "Flagger will promote a canary that the access policy denies: " + who + "; " + why +
            ", so Flagger promotes and " + c_.target + "-primary, then running as " + CanaryKey() +
            ", denies " + (nobody ? "all traffic to " + c_.namespace_ + "/" + c_.service : "them");
    }
    // A mesh without a single TrafficTarget most likely runs in permissive mode (Flagger's
    // OSM tutorial does): say how to check it that way.
    if (nobody && g_.model().traffic_targets.empty()) {
      msg +=
          " (no TrafficTarget at all: if the mesh runs in permissive traffic policy mode, "
          "verify with --permissive)";
    }
    return msg;
  }

  // The pod port requests to the canary land on: targetPort (a number, or a container
  // port's name), else the Service port, as Flagger's generated Services route them.
  int PodPort() const {
    if (c_.target_port > 0) return c_.target_port;
    for (const ContainerPort& p : target_.ports) {
      if (!c_.target_port_name.empty() && p.name == c_.target_port_name) return p.port;
    }
    return c_.port;
  }

  bool Admits(IdentityId from) const {
    if (canary_ == kNoId || from == kNoId) return false;
    return g_.Access(from, canary_, pod_port_, PortProtocol::kHttp).level !=
           PortAccess::Level::kNone;
  }

  // What a grant allows does not depend on which of its sources calls, so one source per
  // grant answers whether anyone is admitted (a TrafficTarget may list thousands).
  bool AdmitsAnyone() const {
    if (canary_ == kNoId) return false;
    for (GrantId gid : g_.GrantsTo(canary_)) {
      const Grant& gr = g_.grants()[gid];
      if (gr.applied && !gr.sources.empty() && Admits(gr.sources.front())) return true;
    }
    return false;
  }

  // Identities serving the Canary's Service today, other than the canary's own: the
  // endpoints of <service> and <service>-primary, <target>-primary's ServiceAccount, and
  // an identity named after the target or the Service that runs no workload any more (the
  // ServiceAccount the Deployment ran as before the change renamed it, by the usual
  // convention of naming it after the app).
  void CollectCallers() {
    std::set<IdentityId> old;
    for (const std::string& name : {c_.target, c_.service}) {
      const IdentityId id = g_.FindIdentity(c_.namespace_, name);
      if (id != kNoId && g_.identities()[id].workloads.empty()) old.insert(id);
    }
    for (const std::string& name : {c_.service, c_.service + "-primary"}) {
      const ServiceId sid = g_.FindService(c_.namespace_, name);
      if (sid == kNoId) continue;
      for (const Endpoint& e : g_.services()[sid].endpoints) old.insert(e.identity);
    }
    const MeshModel& m = g_.model();
    if (auto w = ModelIndex(m).Workload(c_.namespace_, c_.target + "-primary")) {
      const Workload& p = m.workloads[*w];
      old.insert(g_.FindIdentity(p.meta.namespace_, p.service_account));
    }
    old.erase(canary_);
    old.erase(kNoId);
    old_.assign(old.begin(), old.end());
    std::set<IdentityId> callers;
    for (IdentityId o : old_) {
      for (GrantId gid : g_.GrantsTo(o)) {
        const Grant& gr = g_.grants()[gid];
        if (gr.applied) callers.insert(gr.sources.begin(), gr.sources.end());
      }
    }
    callers.erase(canary_);
    callers_.assign(callers.begin(), callers.end());
  }

  // " (TrafficTarget ns/x opens ns/old to them)" for the old identities' grants that
  // name a denied caller.
  std::string OldIdentityHint(const std::vector<IdentityId>& denied,
                              std::vector<std::size_t>* related) const {
    std::set<std::size_t> targets;
    std::set<std::string> olds;
    for (IdentityId o : old_) {
      for (GrantId gid : g_.GrantsTo(o)) {
        const Grant& gr = g_.grants()[gid];
        if (!gr.applied) continue;
        for (IdentityId d : denied) {
          if (std::find(gr.sources.begin(), gr.sources.end(), d) == gr.sources.end()) continue;
          targets.insert(gr.target);
          olds.insert(g_.identities()[o].key());
        }
      }
    }
    related->assign(targets.begin(), targets.end());
    if (targets.empty()) return "";
    return " (" + Targets(*related) + " " + (targets.size() == 1 ? "opens" : "open") + " " +
           List({olds.begin(), olds.end()}) + " to them)";
  }

  // When nobody is admitted: TrafficTargets of the namespace whose destination runs no
  // workload, the likely identity the Deployment ran as before; their sources are the
  // callers a witness is taken from.
  std::string OrphanHint(std::vector<std::size_t>* related, std::vector<IdentityId>* from) const {
    std::set<std::size_t> targets;
    std::set<std::string> orphans;
    std::set<IdentityId> sources(from->begin(), from->end());
    for (const Grant& gr : g_.grants()) {
      if (!gr.applied || gr.destination == kNoId || gr.destination == canary_) continue;
      const Identity& dest = g_.identities()[gr.destination];
      if (dest.namespace_ != c_.namespace_ || !dest.workloads.empty()) continue;
      targets.insert(gr.target);
      orphans.insert(dest.key());
      sources.insert(gr.sources.begin(), gr.sources.end());
    }
    for (IdentityId id : callers_) sources.insert(id);
    from->assign(sources.begin(), sources.end());
    related->assign(targets.begin(), targets.end());
    if (targets.empty()) return "";
    return " (" + Targets(*related) + " " + (targets.size() == 1 ? "opens" : "open") + " " +
           List({orphans.begin(), orphans.end()}) + ", which no workload runs as)";
  }

  // Flagger's load tester, when it is in the mesh: the caller every analysis has.
  std::vector<IdentityId> LoadTester() const {
    const IdentityId id = g_.FindIdentity(c_.namespace_, "flagger-loadtester");
    return id == kNoId ? std::vector<IdentityId>{} : std::vector<IdentityId>{id};
  }

  // With every request denied: a metric fails its check when its query sees no data (the
  // proxy records no denial) or counts the recorded 403s as failures.
  bool AnyCheckFailsOnDenials() const {
    return std::any_of(c_.metrics.begin(), c_.metrics.end(), [](const CanaryMetric& m) {
      return m.denials == DenialVisibility::kInvisible || m.fails_403;
    });
  }

  std::string FailingCheck() const {
    for (const CanaryMetric& m : c_.metrics) {
      if (m.denials == DenialVisibility::kInvisible) {
        return "metric " + m.name + " (provider " + c_.metrics_provider +
               ") records no denied request: no values found";
      }
    }
    for (const CanaryMetric& m : c_.metrics) {
      if (m.fails_403) return "metric " + m.name + " counts the 403s as failed requests";
    }
    return "";
  }

  std::string WhyChecksPass() const {
    if (c_.metrics.empty()) return "the Canary has no metrics, so no check halts it";
    return "provider " + c_.metrics_provider +
           " reads its metrics through Istio's observer, which records the denials as 403s and "
           "counts them as successes";
  }

  std::string Caveat() const {
    for (const CanaryMetric& m : c_.metrics) {
      if (m.fails_403 && m.denials == DenialVisibility::kRecorded) {
        return "; metric " + m.name +
               " counts the 403s as failures and rolls it back if they "
               "pass its threshold";
      }
    }
    return "";
  }

  std::string Targets(const std::vector<std::size_t>& targets) const {
    std::vector<std::string> names;
    for (std::size_t t : targets) {
      const ObjectMeta& meta = g_.model().traffic_targets[t].meta;
      names.push_back(meta.namespace_ + "/" + meta.name);
    }
    return std::string(targets.size() == 1 ? "TrafficTarget " : "TrafficTargets ") + List(names);
  }

  std::string Keys(const std::vector<IdentityId>& ids) const {
    std::vector<std::string> keys;
    for (IdentityId id : ids) keys.push_back(g_.identities()[id].key());
    return List(keys);
  }

  std::string CanaryKey() const { return target_.meta.namespace_ + "/" + target_.service_account; }

  const RouteGraph& g_;
  const CanarySpec& c_;
  const Workload& target_;
  IdentityId canary_ = kNoId;
  int pod_port_ = 0;
  std::vector<IdentityId> old_;      // identities serving the Service today
  std::vector<IdentityId> callers_;  // sources the TrafficTargets open to them
};

}  // namespace

std::string DefaultCanaryProvider(const Profile& profile) {
  return profile.id == ProfileId::kOsm ? "osm" : "linkerd";
}

void CheckCanaries(const LoadResult& loaded, const Profile& profile,
                   const std::string& default_namespace, Diagnostics* out) {
  const std::vector<CanarySpec> specs =
      ParseCanaries(loaded.sources, DefaultCanaryProvider(profile), default_namespace, out, "",
                    CanaryUse::kVerify);
  if (specs.empty() || !profile.EnforcesAccess()) return;
  const RouteGraph graph = CompileGraph(loaded.model, profile);
  const MeshModel& m = loaded.model;
  const ModelIndex index(m);
  for (const CanarySpec& c : specs) {
    if (!SmiProvider(c.provider) || c.target_kind != "Deployment") continue;
    const auto w = index.Workload(c.namespace_, c.target);
    if (!w || m.workloads[*w].workload_kind != WorkloadKind::kDeployment) continue;
    CanaryAccess(graph, c, m.workloads[*w]).Report(out);
  }
}

}  // namespace meshproof::sim
