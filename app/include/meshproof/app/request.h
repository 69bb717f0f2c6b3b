// request.h: what a user asks meshproof, whichever door they came in by (the CLI's flags
// or the Python module's keyword arguments), and what comes back.
//
// The application layer owns everything between "the user said X" and "here is the
// answer": settings resolution (flag > .meshproof.yaml > default), loading, running the
// libraries, and rendering. The CLI and the Python module only translate to a Request and
// print or convert the Outcome, so the two cannot drift apart.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshproof/engine/status.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/simulation.h"
#include "meshproof/solver/query.h"

namespace meshproof::app {

enum class Command : std::uint8_t {
  kVerify,
  kReach,
  kQuery,
  kModel,
  kDiff,
  kSimulate,
  kCanary,
  kSweep,
  kCodes,
  kCompletion,
  kHelp,
  kVersion,
};

enum class OutputFormat : std::uint8_t { kText, kJson, kSarif, kJunit, kMarkdown, kCsv };

/// One point of a sweep: the values it sets (path -> value, typed as JSON) and the
/// overrides that set them.
struct SweepPoint {
  nlohmann::json values = nlohmann::json::object();
  std::vector<sim::Override> overrides;
};
/// Runs sweep points and returns each one's document (values, slos, edges, nodes), in
/// order. Empty: on this machine, as one batch of --jobs workers. Python passes one that
/// runs them on a Dask cluster (each task runs EvaluatePoints, sweep.h).
using PointEvaluator =
    std::function<StatusOr<std::vector<nlohmann::json>>(const std::vector<SweepPoint>&)>;

/// "text", "json", ... as users write them.
const char* FormatName(OutputFormat f);
std::optional<OutputFormat> ParseFormat(const std::string& name);
const char* CommandName(Command c);

/// Everything a command can be told. Optional fields left unset mean "the user did not
/// say": the configuration file, then the built-in default, decides.
/// One condition of `canary --fail-on`: exit 1 when the estimated probability of the
/// outcome exceeds `threshold`.
struct CanaryGate {
  std::string outcome;  // "rollback" or "progressing"
  double threshold = 0.05;
};
/// "rollback", "rollback=0.1,progressing", "never" (no gate); InvalidArgument otherwise.
StatusOr<std::vector<CanaryGate>> ParseCanaryGates(const std::string& text);

struct Request {
  Command command = Command::kHelp;
  /// Inputs: manifests (files, folders, "-"); diff: BASE NEW (or PATH... with git_ref);
  /// simulate/canary: one scenario file.
  std::vector<std::string> paths;
  OutputFormat format = OutputFormat::kText;
  bool format_given = false;
  std::string output_file;  // empty: standard output
  std::string namespace_ = "default";
  std::optional<std::string> profile;
  /// --permissive / --no-permissive: permissive traffic policy mode (profile.h); unset:
  /// .meshproof.yaml's `permissive`, or the scenario's spec.permissive, decides (off).
  std::optional<bool> permissive;
  /// verify/diff: error|warning|info|never; simulate/sweep: violated|uncertain|never;
  /// canary: rollback[=P],progressing[=P] or never (CanaryGates).
  std::optional<std::string> fail_on;
  std::vector<std::string> suppress;  // CODE or CODE=kind/ns/name
  std::string config;                 // explicit .meshproof.yaml
  std::string intents;                // extra intents file
  std::optional<unsigned> solver_timeout_ms;
  bool quiet = false;
  bool color = false;               // ANSI colour for severities in text output
  std::string color_when = "auto";  // --color as given; the front door resolves "auto"
  bool include_deny = false;
  std::string git_ref;
  bool fail_on_grant = false;
  QueryRequest query;  // from/to/to_identity as written (resolved with namespace_)
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  std::optional<double> duration;  // seconds (simulate: duration; canary: horizon)
  std::size_t max_memory = 0;      // bytes a run may hold; 0: half of physical memory
  bool force = false;              // run past the up-front estimate of the budgets
  int jobs = 0;                    // 0: all cores
  /// simulate/canary/sweep: how far the run has come, about every 100 ms (sweeps count
  /// points; simulate and canary are one point). Called from the thread running the request.
  std::function<void(const sim::Progress&)> progress;
  std::string topic;  // codes CODE, completion SHELL, help COMMAND
  /// simulate/canary/sweep: --set PATH=VALUE in order (sim::Override); --seed,
  /// --replications and --duration are shorthands added by the app layer.
  std::vector<sim::Override> overrides;
  std::vector<std::string> vary;   // sweep: --vary PATH=SPEC as written
  std::string find_min, find_max;  // sweep: PATH=FROM:TO[:STEP] as written
  /// The scenario as text (Python passes a YAML string or a dict) instead of paths[0];
  /// base_dir resolves its relative mesh paths (default: the working directory).
  std::optional<std::string> scenario_text;
  std::string base_dir;
  std::string dask;  // sweep --dask ADDRESS: only Python runs on Dask
  PointEvaluator evaluator;
  /// When set and it becomes true (SIGINT, KeyboardInterrupt), a running simulation stops
  /// within a second and the outcome is exit 130 with nothing written.
  const std::atomic<bool>* cancel = nullptr;
};

/// Exit codes (docs/cli.md has the table per command).
inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitCannotRun = 2;
inline constexpr int kExitUnknown = 3;        // query: the solver could not decide
inline constexpr int kExitInterrupted = 130;  // SIGINT (128 + 2), as shells report it

struct Outcome {
  int exit_code = kExitClean;
  /// The result as JSON (what --output json prints and Python returns); null when the
  /// command could not run or has no JSON form.
  nlohmann::json document;
  /// The result rendered in the requested format, ready to print or write.
  std::string output;
  /// Problems and notes for standard error, one per line, already worded for a user.
  std::vector<std::string> messages;
  /// Findings that stop a simulation or canary from running, rendered as text with
  /// locations (they go to standard error after `messages`).
  std::string diagnostics_text;
};

}  // namespace meshproof::app
