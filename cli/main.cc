// meshproof: the command-line front door. Thin by design: argv becomes an app::Request
// (the flag tables in app/commands.cc), app::Run does the work, and this file prints the
// Outcome. Exit codes: docs/cli.md.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

#include "meshproof/app/commands.h"
#include "meshproof/app/output.h"
#include "meshproof/app/run.h"

namespace meshproof::cli {
namespace {

// A progress bar on stderr, redrawn in place; only when stderr is a terminal.
void DrawProgress(double fraction) {
  const int width = 40;
  const int filled = static_cast<int>(fraction * width + 0.5);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\rsimulating [%s] %3d%%", bar.c_str(),
               static_cast<int>(fraction * 100 + 0.5));
  if (fraction >= 1.0) std::fprintf(stderr, "\r%*s\r", width + 20, "");
  std::fflush(stderr);
}

// --color auto: colour when the text goes to a terminal and NO_COLOR is unset or empty
// (no-color.org).
bool UseColor(const app::Request& r) {
  if (r.color_when == "always") return true;
  if (r.color_when == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return r.output_file.empty() && isatty(STDOUT_FILENO) != 0;
}

void Say(const std::string& message) { std::fprintf(stderr, "meshproof: %s\n", message.c_str()); }

// Every path the result must never overwrite: the inputs as given and those the command
// read on their behalf (a scenario's manifests).
std::vector<std::string> Protected(const app::Request& r, const app::Outcome& o) {
  std::vector<std::string> paths = r.paths;
  if (o.document.is_object() && o.document.contains("inputs") && o.document["inputs"].is_array()) {
    for (const auto& p : o.document["inputs"]) {
      if (p.is_string()) paths.push_back(p.get<std::string>());
    }
  }
  return paths;
}

int Main(int argc, char** argv) {
  auto request = app::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!request.ok()) {
    Say(request.status().message());
    return app::kExitCannotRun;
  }
  app::Request& r = *request;
  r.color = UseColor(r);
  if (!r.quiet && isatty(STDERR_FILENO) != 0) r.progress = DrawProgress;
  const app::Outcome o = app::Run(r);
  int exit_code = o.exit_code;
  if (!o.output.empty()) {
    Status s = r.output_file.empty()
                   ? app::WriteToDescriptor(STDOUT_FILENO, o.output, "standard output")
                   : app::WriteOutput(r.output_file, o.output, Protected(r, o));
    if (!s.ok()) {
      Say(s.message());
      exit_code = app::kExitCannotRun;
    }
  }
  if (!o.diagnostics_text.empty()) std::fputs(o.diagnostics_text.c_str(), stderr);
  for (const std::string& m : o.messages) Say(m);
  return exit_code;
}

}  // namespace
}  // namespace meshproof::cli

int main(int argc, char** argv) {
  try {
    return meshproof::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Libraries return Status; reaching here is a bug. Say so in one line.
    std::fprintf(stderr, "meshproof: internal error: %s\n", e.what());
    return 2;
  }
}
