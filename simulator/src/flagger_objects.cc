// flagger_objects.cc: preparing a canary prediction. The Canary is read from the
// manifests, Flagger's objects (<target>-primary, the apex/-primary/-canary Services and
// the TrafficSplit) are added to the mesh, and the simulator is compiled with Flagger's
// split and load tester under control.
#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "meshproof/engine/model_index.h"
#include "meshproof/engine/names.h"
#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/control.h"

namespace meshproof::sim {
namespace {

using nlohmann::json;

std::string Labels(const Labels& l) {
  std::string out = "{";
  for (const auto& [k, v] : l)
    out += (out.size() > 1 ? ", " : "") + json(k).dump() + ": " + json(v).dump();
  return out + "}";
}

// The objects Flagger creates for a Canary (docs/reference/canary-and-metrics.md 1.4), as YAML.
std::string FlaggerObjects(const CanarySpec& c, const Workload& target,
                           const std::string& primary_sa, int split_version,
                           const MeshModel& model) {
  const std::string ns = c.namespace_;
  const std::string primary = c.target + "-primary";
  // Flagger relabels the primary's pods with <name>-primary under the target's selector key.
  std::string key = target.pod_labels.count("app") ? "app"
                    : target.pod_labels.empty()    ? "app"
                                                   : target.pod_labels.begin()->first;
  ::meshproof::Labels primary_labels = {{key, primary}};
  ::meshproof::Labels canary_selector =
      target.pod_labels.empty() ? ::meshproof::Labels{{key, c.target}} : target.pod_labels;
  std::ostringstream y;
  std::string ports = "[";
  for (const ContainerPort& p : target.ports) {
    ports += (ports.size() > 1 ? ", " : "") + std::string("{containerPort: ") +
             std::to_string(p.port) + (p.name.empty() ? "" : ", name: " + json(p.name).dump()) +
             "}";
  }
  ports += "]";
  const ModelIndex index(model);
  if (!index.Workload(ns, primary)) {
    y << "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " << primary
      << ", namespace: " << ns << "}\nspec:\n  replicas: " << target.replicas.value_or(1)
      << "\n  selector: {matchLabels: " << Labels(primary_labels)
      << "}\n  template:\n    metadata: {labels: " << Labels(primary_labels)
      << "}\n    spec:\n      serviceAccountName: " << json(primary_sa).dump()
      << "\n      containers: [{name: app, ports: " << ports << "}]\n";
  }
  const std::string target_port = c.target_port > 0             ? std::to_string(c.target_port)
                                  : !c.target_port_name.empty() ? json(c.target_port_name).dump()
                                                                : std::to_string(c.port);
  auto service = [&](const std::string& name, const ::meshproof::Labels& selector) {
    if (name != c.service && index.Service(ns, name)) return;  // the apex is always Flagger's
    y << "---\napiVersion: v1\nkind: Service\nmetadata: {name: " << name << ", namespace: " << ns
      << "}\nspec:\n  selector: " << Labels(selector) << "\n  ports: [{name: http, port: " << c.port
      << ", targetPort: " << target_port << "}]\n";
  };
  service(c.service, primary_labels);
  service(c.service + "-primary", primary_labels);
  service(c.service + "-canary", canary_selector);
  if (!index.TrafficSplit(ns, c.service)) {
    y << "---\napiVersion: split.smi-spec.io/v1alpha" << split_version
      << "\nkind: TrafficSplit\nmetadata: {name: " << c.service << ", namespace: " << ns
      << "}\nspec:\n  service: " << c.service << "\n  backends:\n  - {service: " << c.service
      << "-canary, weight: 0}\n  - {service: " << c.service << "-primary, weight: 100}\n";
  }
  return y.str();
}

}  // namespace

namespace {

// The Canary the scenario names (or the only one); nullptr after reporting MP6002, or when
// the chosen Canary has errors of its own (already in p->diagnostics).
const CanarySpec* ChooseCanary(const std::vector<CanarySpec>& specs, const CanarySettings& settings,
                               const PreparedCanary& p, LoadedScenario* loaded) {
  const CanarySpec* chosen = nullptr;
  std::string have;
  for (const CanarySpec& c : specs) {
    if (settings.name.empty() ? specs.size() == 1 : c.namespace_ + "/" + c.name == settings.name) {
      chosen = &c;
    }
    have += (have.empty() ? "" : ", ") + c.namespace_ + "/" + c.name;
  }
  if (chosen == nullptr) {
    loaded->diagnostics.Report(DiagCode::MP6002, settings.loc,
                               settings.name.empty()
                                   ? "the manifests hold " + std::to_string(specs.size()) +
                                         " Canaries (" + have + "): name one with `canary.name`"
                                   : "no Canary " + settings.name + " in the manifests" +
                                         (have.empty() ? "" : " (found: " + have + ")"));
    return nullptr;
  }
  for (const Diagnostic& d : p.diagnostics.items()) {
    if (d.severity == Severity::kError && d.resource && d.resource->name == chosen->name &&
        d.resource->namespace_ == chosen->namespace_) {
      return nullptr;
    }
  }
  return chosen;
}

// Adds Flagger's primary/canary objects and TrafficSplit to the mesh. The manifests are
// re-read from the texts already loaded, never from disk again: what was verified is
// what is simulated, even if the files change meanwhile.
void AddFlaggerObjects(const CanarySpec& spec, const Workload& target,
                       const CanarySettings& settings, ProfileId profile, LoadedScenario* loaded) {
  // The TrafficSplit version the profile serves (v1alpha2 where possible, as Flagger's osm
  // and smi:v1alpha2 routers write).
  const auto& served = GetProfile(profile).served.traffic_split;
  int version = 2;
  if (std::find(served.begin(), served.end(), 2) == served.end() && !served.empty()) {
    version = served.back();
  }
  const std::string primary_sa = settings.primary_service_account.empty()
                                     ? target.service_account
                                     : settings.primary_service_account;
  std::vector<std::pair<std::string, std::string>> texts;
  const SourceSet& sources = loaded->mesh.sources;
  for (FileId f = 0; f < sources.size(); ++f) texts.emplace_back(sources.name(f), sources.text(f));
  texts.emplace_back("<flagger>",
                     FlaggerObjects(spec, target, primary_sa, version, loaded->mesh.model));
  LoadOptions lo;
  lo.default_namespace = loaded->scenario.default_namespace;
  loaded->mesh = LoadTexts(texts, lo);
  // Flagger owns the apex Service: overriding a user's one is intended, not a duplicate.
  auto& items = loaded->mesh.diagnostics.mutable_items();
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const Diagnostic& d) {
                               return d.code == DiagCode::MP0005 && d.resource &&
                                      d.resource->name == spec.service &&
                                      d.resource->namespace_ == spec.namespace_;
                             }),
              items.end());
}

// The behaviour of one of Flagger's workloads; canary settings win over a plain entry.
void DescribeWorkload(const std::string& workload, const Behaviour& b, const Loc& loc,
                      Scenario* scenario) {
  for (WorkloadSpec& existing : scenario->workloads) {
    if (existing.workload != workload) continue;
    Behaviour merged = existing.behaviour;
    if (b.replicas) merged.replicas = b.replicas;
    if (b.concurrency) merged.concurrency = b.concurrency;
    if (b.queue_capacity) merged.queue_capacity = b.queue_capacity;
    if (b.discipline) merged.discipline = b.discipline;
    if (b.service_time) merged.service_time = b.service_time;
    if (b.error_rate) merged.error_rate = b.error_rate;
    existing.behaviour = merged;
    return;
  }
  WorkloadSpec w;
  w.workload = workload;
  w.loc = loc;
  w.behaviour = b;
  scenario->workloads.push_back(std::move(w));
}

// The load tester: traffic straight to <service>-canary from its own identity.
void AddLoadTester(const CanarySettings& settings, PreparedCanary* pp) {
  PreparedCanary& p = *pp;
  p.load_test_rate = settings.load_tester_rate.value_or(p.spec.load_test_rate.value_or(0));
  if (!settings.load_tester || p.load_test_rate <= 0) {
    p.load_test_rate = 0;
    return;
  }
  const std::string from = settings.load_tester_from.empty()
                               ? p.spec.namespace_ + "/flagger-loadtester"
                               : settings.load_tester_from;
  const auto id = NamespacedName::Parse(from, p.spec.namespace_);
  if (!id || p.graph->FindIdentity(id->namespace_, id->name) == kNoId) {
    p.diagnostics.Report(DiagCode::MP7003, p.spec.loc,
                         "load tester traffic (" + std::to_string(p.load_test_rate) +
                             " req/s) not simulated: identity " + from +
                             " is not in the mesh (set canary.loadTester.from)",
                         ObjectRef{"Canary", p.spec.namespace_, p.spec.name});
    p.load_test_rate = 0;
    return;
  }
  TrafficSource s;
  s.name = "flagger-loadtester";
  s.from = id->str();
  s.to = p.spec.namespace_ + "/" + p.spec.service + "-canary";
  s.port = p.spec.port;
  s.schedule = {{0, p.load_test_rate}};
  s.mix = {RequestShape{}};
  s.loc = settings.loc;
  p.load_tester_source = p.scenario.sources.size();
  p.scenario.sources.push_back(std::move(s));
}

// Flagger's TrafficSplit and the primary/canary workloads in the compiled model; false
// when one is missing.
bool FindFlaggerNodes(const MeshModel& model, PreparedCanary* pp) {
  PreparedCanary& p = *pp;
  const ModelIndex index(model);
  const auto split = index.TrafficSplit(p.spec.namespace_, p.spec.service);
  const auto canary_node = index.Workload(p.spec.namespace_, p.spec.target);
  const auto primary_node = index.Workload(p.spec.namespace_, p.spec.target + "-primary");
  if (!split || !canary_node || !primary_node) return false;
  p.split = *split;
  const TrafficSplit& ts = model.traffic_splits[*split];
  for (std::size_t b = 0; b < ts.backends.size(); ++b) {
    if (ts.backends[b].service == p.spec.service + "-canary") p.canary_backend = b;
    if (ts.backends[b].service == p.spec.service + "-primary") p.primary_backend = b;
  }
  p.canary_node = *canary_node;
  p.primary_node = *primary_node;
  return true;
}

// Enough time for every step, the failure threshold and the promotion, with slack.
double DefaultHorizon(const CanarySpec& spec) {
  const int promotion_ticks =
      spec.step_weight_promotion > 0
          ? (100 + spec.step_weight_promotion - 1) / spec.step_weight_promotion
          : 1;
  return spec.interval * (spec.Steps() + spec.threshold + promotion_ticks + 6);
}

}  // namespace

std::unique_ptr<PreparedCanary> PrepareCanary(LoadedScenario* loaded,
                                              const std::string& profile_override) {
  auto out = std::make_unique<PreparedCanary>();
  PreparedCanary& p = *out;
  p.profile = profile_override.empty() ? loaded->scenario.profile : profile_override;
  if (loaded->HasErrors()) return out;
  if (!loaded->scenario.canary) {
    loaded->diagnostics.Report(
        DiagCode::MP6001, Loc{0, 1, 1, "spec.canary"},
        "this scenario has no `spec.canary`: nothing to predict (see docs/canary.md)");
    return out;
  }
  const CanarySettings& settings = *loaded->scenario.canary;
  const auto profile_id = ParseProfileName(p.profile);
  if (!profile_id) {
    loaded->diagnostics.Report(DiagCode::MP6001, settings.loc,
                               "unknown profile '" + p.profile + "'");
    return out;
  }
  const std::vector<CanarySpec> specs =
      ParseCanaries(loaded->mesh.sources, settings.provider, loaded->scenario.default_namespace,
                    &p.diagnostics, settings.provider_given ? settings.provider : "");
  const CanarySpec* chosen = ChooseCanary(specs, settings, p, loaded);
  if (chosen == nullptr) return out;
  p.spec = *chosen;
  const auto target_index =
      ModelIndex(loaded->mesh.model).Workload(p.spec.namespace_, p.spec.target);
  if (!target_index) {
    loaded->diagnostics.Report(DiagCode::MP6002, settings.loc,
                               "Canary " + p.spec.namespace_ + "/" + p.spec.name +
                                   " targets Deployment " + p.spec.namespace_ + "/" +
                                   p.spec.target + ", which is not in the manifests");
    return out;
  }
  // A copy: adding Flagger's objects replaces the model the target was read from.
  const Workload target = loaded->mesh.model.workloads[*target_index];
  AddFlaggerObjects(p.spec, target, settings, *profile_id, loaded);
  const MeshModel& model = loaded->mesh.model;
  p.scenario = loaded->scenario;
  DescribeWorkload(p.spec.namespace_ + "/" + p.spec.target + "-primary", settings.primary,
                   settings.loc, &p.scenario);
  DescribeWorkload(p.spec.namespace_ + "/" + p.spec.target, settings.canary, settings.loc,
                   &p.scenario);
  p.graph = std::make_unique<RouteGraph>(
      CompileGraph(model, GetProfile(*profile_id, p.scenario.permissive)));
  AddLoadTester(settings, &p);
  if (!FindFlaggerNodes(model, &p)) {
    loaded->diagnostics.Report(
        DiagCode::MP6002, settings.loc,
        "could not set up Flagger's objects for " + p.spec.namespace_ + "/" + p.spec.name);
    return out;
  }
  p.buckets_ms = settings.bucket_layout == "custom" ? settings.buckets_ms
                                                    : LatencyBucketsMs(settings.bucket_layout);
  p.horizon = settings.horizon.value_or(DefaultHorizon(p.spec));
  ControlOptions control;
  control.dynamic_splits = {p.split};
  if (p.load_tester_source) control.gated_sources = {*p.load_tester_source};
  control.watched_nodes = {p.canary_node};
  // Promotion copies the canary's pod template, ServiceAccount included, to the primary.
  control.adoptable_identities = {{p.primary_node, p.canary_node}};
  p.simulator = Simulator::Create(p.scenario, *p.graph, &loaded->diagnostics, control);
  return out;
}

}  // namespace meshproof::sim
