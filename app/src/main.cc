// main.cc: the command line end to end, for every door that takes argv (the `meshproof`
// binary and `python3 -m meshproof`): parse, run, print or write the result, exit code.
#include "meshproof/app/main.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "meshproof/app/commands.h"
#include "meshproof/app/output.h"
#include "meshproof/app/run.h"

namespace meshproof::app {
namespace {

// A progress bar on stderr, redrawn in place; only when stderr is a terminal: the share
// of simulated time done, the points done of a sweep, and events per second.
void DrawProgress(const sim::Progress& p) {
  const int width = 30;
  const int filled = static_cast<int>(p.fraction * width + 0.5);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '.');
  char points[64] = "";
  if (p.runs_total > 1)
    std::snprintf(points, sizeof points, "  %zu/%zu points", p.runs_done, p.runs_total);
  std::fprintf(stderr, "\rsimulating [%s] %3d%%%s  %.2fM events/s   ", bar.c_str(),
               static_cast<int>(p.fraction * 100 + 0.5), points, p.events_per_second() / 1e6);
  if (p.fraction >= 1.0) std::fprintf(stderr, "\r%*s\r", width + 70, "");
  std::fflush(stderr);
}

// --color auto: colour when the text goes to a terminal and NO_COLOR is unset or empty
// (no-color.org).
bool UseColor(const Request& r) {
  if (r.color_when == "always") return true;
  if (r.color_when == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return r.output_file.empty() && isatty(STDOUT_FILENO) != 0;
}

void Say(const std::string& message) { std::fprintf(stderr, "meshproof: %s\n", message.c_str()); }

// Every path the result must never overwrite: the inputs as given and those the command
// read on their behalf (a scenario's manifests).
std::vector<std::string> Protected(const Request& r, const Outcome& o) {
  std::vector<std::string> paths = r.paths;
  if (o.document.is_object() && o.document.contains("inputs") && o.document["inputs"].is_array()) {
    for (const auto& p : o.document["inputs"]) {
      if (p.is_string()) paths.push_back(p.get<std::string>());
    }
  }
  return paths;
}

// SIGINT during a simulation: the handler only sets this flag (lock-free, so
// async-signal-safe); the replications see it within a few thousand events and the
// command ends with exit 130 and nothing written. SA_RESETHAND: a second Ctrl-C kills.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnSigint(int /*signal*/) { g_interrupted.store(true); }

class SigintScope {
 public:
  explicit SigintScope(bool active) : active_(active) {
    if (!active_) return;
    g_interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = OnSigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &previous_);
  }
  ~SigintScope() {
    if (active_) sigaction(SIGINT, &previous_, nullptr);
  }
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;

 private:
  bool active_;
  struct sigaction previous_ {};
};

}  // namespace

int RunCommandLine(const std::vector<std::string>& args) {
  auto request = ParseCommandLine(args);
  if (!request.ok()) {
    Say(request.status().message());
    return kExitCannotRun;
  }
  Request& r = *request;
  r.color = UseColor(r);
  if (!r.quiet && isatty(STDERR_FILENO) != 0) r.progress = DrawProgress;
  const bool simulates = r.command == Command::kSimulate || r.command == Command::kCanary ||
                         r.command == Command::kSweep;
  Outcome o;
  {
    SigintScope sigint(simulates);
    if (simulates) r.cancel = &g_interrupted;
    o = Run(r);
  }
  int exit_code = o.exit_code;
  if (!o.output.empty()) {
    Status s = r.output_file.empty() ? WriteToDescriptor(STDOUT_FILENO, o.output, "standard output")
                                     : WriteOutput(r.output_file, o.output, Protected(r, o));
    if (!s.ok()) {
      Say(s.message());
      exit_code = kExitCannotRun;
    }
  }
  if (!o.diagnostics_text.empty()) std::fputs(o.diagnostics_text.c_str(), stderr);
  for (const std::string& m : o.messages) Say(m);
  return exit_code;
}

}  // namespace meshproof::app
