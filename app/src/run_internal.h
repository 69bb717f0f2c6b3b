// run_internal.h: the commands run.cc dispatches to that live in their own files.
#pragma once

#include <optional>
#include <string>

#include "meshproof/app/request.h"
#include "meshproof/engine/sources.h"
#include "meshproof/simulator/scenario.h"

namespace meshproof::app {

/// `*doc` serialised as meshproof prints JSON (two-space indent, final newline), after its
/// strings went through EscapeInvalidUtf8 (engine/text.h) in place: user bytes can never
/// make serialisation fail.
std::string JsonText(nlohmann::json* doc);

/// An Outcome with exit code 2 and `message` for standard error.
Outcome CannotRun(const std::string& message);

Outcome RunSimulate(const Request& request);  // run_scenario.cc
Outcome RunCanary(const Request& request);    // run_scenario.cc
Outcome RunCodes(const Request& request);     // codes.cc
Outcome RunSweep(const Request& request);     // sweep.cc

/// The request's scenario overrides in order: --seed, --replications and --duration as
/// shorthands, then --set. A shorthand and a --set of the same path is InvalidArgument.
StatusOr<std::vector<sim::Override>> ScenarioOverrides(const Request& request);
/// The request's scenario (paths[0], "-" or scenario_text) loaded with `overrides`, or
/// nullopt with `*failed` saying why it could not be read (exit 2).
std::optional<sim::LoadedScenario> LoadScenarioOf(const Request& request,
                                                  const std::vector<sim::Override>& overrides,
                                                  Outcome* failed);
/// Text for the diagnostics in `diags` (errors only when errors_only) quoting `sources`.
void AddText(const Diagnostics& diags, const SourceSet& sources, bool errors_only,
             std::string* out);
/// exit 2 for a run that failed with `status`, 130 when it was interrupted.
Outcome RunFailed(const Status& status);

/// A small manifest that triggers `code` under `meshproof verify` (codes.cc); nullopt when
/// the code is not one verify reports from manifests alone.
std::optional<std::string> CodeExample(const std::string& code);

}  // namespace meshproof::app
