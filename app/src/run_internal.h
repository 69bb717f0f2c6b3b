// run_internal.h: the commands run.cc dispatches to that live in their own files.
#pragma once

#include <optional>
#include <string>

#include "meshproof/app/request.h"

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

/// A small manifest that triggers `code` under `meshproof verify` (codes.cc); nullopt when
/// the code is not one verify reports from manifests alone.
std::optional<std::string> CodeExample(const std::string& code);

}  // namespace meshproof::app
