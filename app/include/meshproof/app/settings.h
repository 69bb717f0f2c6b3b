// settings.h: one resolution of the user's settings for every front door.
//
// Precedence: a flag (or Python keyword) the user gave > the configuration file >
// the built-in default. The configuration is --config FILE, else the first
// .meshproof.yaml beside the inputs (engine/config.h FindConfig). Intents from the file and
// from --intents are registered with the load's SourceSet so findings about them carry
// file:line like any other.
#pragma once

#include <optional>
#include <string>

#include "meshproof/app/request.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/status.h"
#include "meshproof/solver/verify.h"

namespace meshproof::app {

struct Settings {
  std::string profile_name = "spec";
  VerifyOptions verify;                                // profile, config (+ intents)
  std::optional<Severity> fail_on = Severity::kError;  // nullopt = never
  unsigned solver_timeout_ms = 2000;
  std::string config_file;  // empty: none used
};

/// Resolves `request`'s settings for inputs `config_inputs` (where .meshproof.yaml is
/// searched) and registers intent files in `loaded->sources`. An unusable configuration
/// (unreadable, a folder, invalid, a bad flag value) is an error Status naming the file.
StatusOr<Settings> ResolveSettings(const Request& request,
                                   const std::vector<std::string>& config_inputs,
                                   LoadResult* loaded);

}  // namespace meshproof::app
