// simulate and canary: scenario files in, TrafficMetrics or a canary prediction out.
#include <optional>
#include <sstream>

#include "run_internal.h"

#include "meshproof/engine/render.h"
#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/render.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/simulation.h"

namespace meshproof::app {
namespace {

std::string Seconds(double s) {
  std::ostringstream o;
  o << s << "s";
  return o.str();
}

sim::SimulationOptions OptionsFrom(const Request& req) {
  sim::SimulationOptions so;
  so.seed = req.seed;
  so.replications = req.replications;
  so.duration = req.duration;
  so.jobs = req.jobs;
  so.max_memory = req.max_memory;
  so.force = req.force;
  if (!req.quiet) so.progress = req.progress;
  return so;
}

// The scenario named by the request, or an Outcome saying why it cannot be read.
std::optional<sim::LoadedScenario> LoadScenarioOf(const Request& req, Outcome* failed) {
  sim::LoadedScenario loaded = sim::LoadScenario(req.paths[0]);
  const std::vector<std::string> failures = loaded.FailureMessages();
  if (failures.empty()) return loaded;
  *failed = CannotRun(failures.front());
  failed->messages.assign(failures.begin(), failures.end());
  return std::nullopt;
}

void AddText(const Diagnostics& diags, const SourceSet& sources, bool errors_only,
             std::string* out) {
  for (const Diagnostic& d : diags.items()) {
    if (!errors_only || d.severity == Severity::kError) *out += RenderDiagnosticText(d, sources);
  }
}

}  // namespace

Outcome RunSimulate(const Request& req) {
  Outcome out;
  std::optional<sim::LoadedScenario> arg = LoadScenarioOf(req, &out);
  if (!arg) return out;
  sim::LoadedScenario& loaded = *arg;
  sim::PreparedScenario prepared = sim::PrepareScenario(&loaded, req.profile.value_or(""));
  if (prepared.simulator == nullptr) {
    AddText(loaded.diagnostics, loaded.scenario_source, false, &out.diagnostics_text);
    out.messages.push_back("the scenario has errors; nothing was simulated");
    out.exit_code = kExitCannotRun;
    return out;
  }
  const std::size_t mesh_errors = loaded.mesh.diagnostics.Count(Severity::kError);
  if (mesh_errors > 0 && !req.quiet) {
    out.messages.push_back("note: the manifests have " + std::to_string(mesh_errors) + " error" +
                           (mesh_errors == 1 ? "" : "s") +
                           " (see meshproof verify); simulating what loaded");
  }
  if (req.duration && *req.duration <= loaded.scenario.warmup) {
    return CannotRun("--duration " + Seconds(*req.duration) +
                     " is not longer than the scenario's warm-up (" +
                     Seconds(loaded.scenario.warmup) + "): nothing would be measured");
  }
  const sim::SimulationResult result = prepared.simulator->Run(OptionsFrom(req));
  if (!result.status.ok()) return CannotRun(result.status.message());
  const sim::RenderContext ctx = sim::ContextFor(loaded, req.paths[0], prepared.profile);
  out.document = sim::SimulationToJson(result, ctx);
  out.output = req.format == OutputFormat::kJson ? JsonText(&out.document)
                                                 : sim::SimulationToText(result, ctx);
  return out;
}

Outcome RunCanary(const Request& req) {
  Outcome out;
  std::optional<sim::LoadedScenario> arg = LoadScenarioOf(req, &out);
  if (!arg) return out;
  sim::LoadedScenario& loaded = *arg;
  std::unique_ptr<sim::PreparedCanary> prepared =
      sim::PrepareCanary(&loaded, req.profile.value_or(""));
  // Canary findings (MP7xxx) point into the manifests; scenario findings into the scenario.
  AddText(prepared->diagnostics, loaded.mesh.sources, req.quiet, &out.diagnostics_text);
  if (!prepared->ok()) {
    AddText(loaded.diagnostics, loaded.scenario_source, false, &out.diagnostics_text);
    out.messages.push_back("the canary scenario has errors; nothing was simulated");
    out.exit_code = kExitCannotRun;
    return out;
  }
  const sim::CanaryPrediction prediction = sim::PredictCanary(*prepared, OptionsFrom(req));
  if (!prediction.status.ok()) {
    Outcome failed = CannotRun(prediction.status.message());
    failed.diagnostics_text = std::move(out.diagnostics_text);
    return failed;
  }
  const sim::RenderContext ctx = sim::ContextFor(loaded, req.paths[0], prepared->profile);
  out.document = sim::CanaryToJson(prediction, ctx);
  out.output = req.format == OutputFormat::kJson ? JsonText(&out.document)
                                                 : sim::CanaryToText(prediction, ctx);
  return out;
}

}  // namespace meshproof::app
