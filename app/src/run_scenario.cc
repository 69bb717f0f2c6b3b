// simulate and canary: scenario files in, TrafficMetrics or a canary prediction out.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "run_internal.h"

#include "meshproof/engine/input.h"
#include "meshproof/engine/render.h"
#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/render.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/simulation.h"
#include "meshproof/simulator/slo.h"

namespace meshproof::app {
namespace {

std::string Seconds(double s) {
  std::ostringstream o;
  o << s << "s";
  return o.str();
}

sim::SimulationOptions OptionsFrom(const Request& req) {
  sim::SimulationOptions so;  // seed, replications, duration: overrides (ScenarioOverrides)
  so.cancel = req.cancel;
  so.jobs = req.jobs;
  so.max_memory = req.max_memory;
  so.force = req.force;
  if (!req.quiet) so.progress = req.progress;
  return so;
}

}  // namespace

StatusOr<std::vector<sim::Override>> ScenarioOverrides(const Request& req) {
  std::vector<sim::Override> out;
  auto shorthand = [&](const std::string& flag, const std::string& path, const std::string& v) {
    out.push_back({path, v, flag + " " + v});
  };
  if (req.seed) shorthand("--seed", "seed", std::to_string(*req.seed));
  if (req.permissive) {
    shorthand(*req.permissive ? "--permissive" : "--no-permissive", "permissive",
              *req.permissive ? "true" : "false");
  }
  if (req.replications)
    shorthand("--replications", "replications", std::to_string(*req.replications));
  if (req.duration) {
    shorthand("--duration", req.command == Command::kCanary ? "canary.horizon" : "duration",
              Seconds(*req.duration));
  }
  const std::size_t shorthands = out.size();
  auto norm = [](const std::string& p) { return p.rfind("spec.", 0) == 0 ? p.substr(5) : p; };
  for (const sim::Override& o : req.overrides) {
    for (std::size_t i = 0; i < shorthands; ++i) {
      if (norm(o.path) == out[i].path) {
        return Status::InvalidArgument(out[i].origin.substr(0, out[i].origin.find(' ')) + " and " +
                                       o.origin + " both set the same value: give one");
      }
    }
    out.push_back(o);
  }
  return out;
}

std::optional<sim::LoadedScenario> LoadScenarioOf(const Request& req,
                                                  const std::vector<sim::Override>& overrides,
                                                  Outcome* failed) {
  sim::LoadedScenario loaded;
  if (req.scenario_text || req.paths[0] == "-") {
    std::string text;
    if (req.scenario_text) {
      text = *req.scenario_text;
    } else {
      CappedRead r = ReadCapped("/dev/stdin", kMaxSmallInputBytes, "scenario on standard input");
      if (auto problem = CappedReadProblem(r, "<stdin>", kMaxSmallInputBytes)) {
        *failed = CannotRun(*problem);
        return std::nullopt;
      }
      text = std::move(r.text);
    }
    loaded = sim::LoadScenarioText(text, req.scenario_text ? "<scenario>" : "<stdin>",
                                   req.base_dir.empty() ? "." : req.base_dir, overrides);
  } else if (!req.base_dir.empty()) {
    CappedRead r = ReadCapped(req.paths[0], kMaxSmallInputBytes, "scenario file");
    if (auto problem = CappedReadProblem(r, req.paths[0], kMaxSmallInputBytes)) {
      *failed = CannotRun(*problem);
      return std::nullopt;
    }
    loaded = sim::LoadScenarioText(r.text, req.paths[0], req.base_dir, overrides);
  } else {
    loaded = sim::LoadScenario(req.paths[0], overrides);
  }
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

static Outcome Interrupted() {
  Outcome out;
  out.exit_code = kExitInterrupted;
  out.messages.push_back("interrupted; nothing was written");
  return out;
}

// exit 2 for a failed run; 130 when the user interrupted it.
Outcome RunFailed(const Status& status) {
  return status.code() == StatusCode::kCancelled ? Interrupted() : CannotRun(status.message());
}

Outcome RunSimulate(const Request& req) {
  Outcome out;
  auto overrides = ScenarioOverrides(req);
  if (!overrides.ok()) return CannotRun(overrides.status().message());
  std::optional<sim::LoadedScenario> arg = LoadScenarioOf(req, *overrides, &out);
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
  const sim::SimulationResult result = prepared.simulator->Run(OptionsFrom(req));
  if (!result.status.ok()) return RunFailed(result.status);
  const sim::RenderContext ctx = sim::ContextFor(loaded, req.paths[0], prepared.profile);
  const std::vector<sim::SloResult> slos = sim::EvaluateSlos(loaded.scenario.slos, result);
  out.document = sim::SimulationToJson(result, ctx);
  out.document["slos"] = sim::SlosToJson(slos);
  out.output = req.format == OutputFormat::kJson
                   ? JsonText(&out.document)
                   : sim::SimulationToText(result, ctx) + sim::SlosToText(slos);
  const sim::SloVerdict worst = sim::WorstVerdict(slos);
  const std::string fail_on = req.fail_on.value_or("violated");
  if (worst == sim::SloVerdict::kViolated && fail_on != "never") out.exit_code = kExitFindings;
  if (worst == sim::SloVerdict::kUncertain && fail_on == "uncertain") out.exit_code = kExitFindings;
  return out;
}

StatusOr<std::vector<CanaryGate>> ParseCanaryGates(const std::string& text) {
  std::vector<CanaryGate> gates;
  if (text == "never") return gates;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    CanaryGate g;
    const auto eq = item.find('=');
    g.outcome = item.substr(0, eq);
    if (g.outcome != "rollback" && g.outcome != "progressing") {
      return Status::InvalidArgument(
          "--fail-on for canary must be rollback[=P], progressing[=P] (comma-separated) or "
          "never, not '" +
          text + "'");
    }
    if (eq != std::string::npos) {
      const std::string p = item.substr(eq + 1);
      char* end = nullptr;
      g.threshold = std::strtod(p.c_str(), &end);
      if (p.empty() || *end != '\0' || !(g.threshold >= 0 && g.threshold < 1)) {
        return Status::InvalidArgument("--fail-on " + g.outcome +
                                       "=P needs a probability P in [0, 1), not '" + p + "'");
      }
    }
    gates.push_back(g);
  }
  return gates;
}

namespace {

// --fail-on for canary: each gate against its outcome's estimate, in the document and the
// text (returned); exit 1 when an estimate exceeds its threshold.
std::string ApplyCanaryGates(const std::vector<CanaryGate>& gates, const sim::CanaryPrediction& p,
                             Outcome* out) {
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const CanaryGate& g : gates) {
    const sim::Proportion& est = g.outcome == "rollback" ? p.rolled_back : p.progressing;
    const bool failed = est.p > g.threshold;
    list.push_back({{"condition", g.outcome},
                    {"threshold", g.threshold},
                    {"p", est.p},
                    {"ci95", {est.low, est.high}},
                    {"failed", failed}});
    char buf[256];
    std::snprintf(buf, sizeof buf, "fail-on %s > %g: P(%s) = %.3f [%.3f, %.3f]: %s\n",
                  g.outcome.c_str(), g.threshold,
                  g.outcome == "rollback" ? "rolled back" : "progressing", est.p, est.low, est.high,
                  failed ? "FAILED" : "ok");
    text += buf;
    if (failed) out->exit_code = kExitFindings;
  }
  out->document["failOn"] = list;
  return text.empty() ? text : "\n" + text;
}

}  // namespace

Outcome RunCanary(const Request& req) {
  Outcome out;
  auto overrides = ScenarioOverrides(req);
  if (!overrides.ok()) return CannotRun(overrides.status().message());
  std::optional<sim::LoadedScenario> arg = LoadScenarioOf(req, *overrides, &out);
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
    Outcome failed = RunFailed(prediction.status);
    failed.diagnostics_text = std::move(out.diagnostics_text);
    return failed;
  }
  const sim::RenderContext ctx = sim::ContextFor(loaded, req.paths[0], prepared->profile);
  out.document = sim::CanaryToJson(prediction, ctx);
  // Findings the prediction itself shows (MP7004), on standard error and in the JSON.
  Diagnostics findings;
  sim::ReportPromotionDenial(*prepared, prediction, &findings);
  AddText(findings, loaded.mesh.sources, false, &out.diagnostics_text);
  out.document["findings"] = nlohmann::json::array();
  for (const Diagnostic& d : findings.items()) {
    out.document["findings"].push_back(DiagnosticToJson(d, loaded.mesh.sources));
  }
  auto gates = ParseCanaryGates(req.fail_on.value_or("never"));
  if (!gates.ok()) return CannotRun(gates.status().message());
  const std::string gate_text = ApplyCanaryGates(*gates, prediction, &out);
  out.output = req.format == OutputFormat::kJson ? JsonText(&out.document)
                                                 : sim::CanaryToText(prediction, ctx) + gate_text;
  return out;
}

}  // namespace meshproof::app
