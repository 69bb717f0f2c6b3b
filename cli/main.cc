// meshproof: the command-line front end. Thin by design: it parses flags, calls the
// libraries and prints. Exit codes (product-spec.md): 0 clean, 1 findings at or above
// --fail-on, 2 could not run (bad flags, unreadable path, internal error).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/render.h"
#include "output.h"

namespace meshproof::cli {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitCannotRun = 2;

const char* kUsage = R"(meshproof - prove and simulate SMI policy before it reaches a cluster

Usage:
  meshproof verify PATH... [--format text|json] [--fail-on error|warning|info|never]
  meshproof model PATH...  [--format json]
  meshproof codes          [--format text|json]
  meshproof --version

PATH is a file, a folder (searched recursively for *.yaml, *.yml, *.json) or - for stdin.

Options:
  --format FMT      output format (text by default; json for scripts)
  --fail-on LEVEL   exit 1 when a finding is at or above LEVEL (default: error)
  --namespace NS    namespace for objects without metadata.namespace (default: default)
  --profile NAME    semantics profile: spec (default), osm, traefik, linkerd
  -o, --output FILE write the result to FILE atomically instead of stdout
  --quiet           print only findings at or above --fail-on, no summary
  -h, --help        this help
  --version         print the version

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 could not run.
)";

struct Options {
  std::string command;
  std::vector<std::string> paths;
  std::string format = "text";
  std::optional<Severity> fail_on = Severity::kError;  // nullopt = never
  std::string namespace_ = "default";
  std::string profile = "spec";
  std::string output;
  bool quiet = false;
};

int Fail(const std::string& message) {
  std::cerr << "meshproof: " << message << "\n";
  return kExitCannotRun;
}

// Parses argv into `o`; returns an exit code to stop with, or -1 to go on.
int ParseArgs(int argc, char** argv, Options* o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitCannotRun;
  }
  bool format_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      std::string prefix = std::string(flag) + "=";
      if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    auto is = [&](const char* flag) {
      return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
    };
    if (a == "-h" || a == "--help" || a == "help") {
      std::cout << kUsage;
      return kExitClean;
    } else if (a == "--version" || a == "version") {
      std::cout << "meshproof " << MeshproofVersion() << "\n";
      return kExitClean;
    } else if (a == "--quiet" || a == "-q") {
      o->quiet = true;
    } else if (is("--format")) {
      auto v = value("--format");
      if (!v) return Fail("--format needs a value");
      o->format = *v;
      format_given = true;
    } else if (is("--fail-on")) {
      auto v = value("--fail-on");
      if (!v) return Fail("--fail-on needs a value");
      if (*v == "never") {
        o->fail_on.reset();
      } else if (auto s = ParseSeverity(*v)) {
        o->fail_on = *s;
      } else {
        return Fail("--fail-on must be error, warning, info or never, not '" + *v + "'");
      }
    } else if (is("--namespace") || a == "-n") {
      auto v = value(a == "-n" ? "-n" : "--namespace");
      if (!v || v->empty()) return Fail("--namespace needs a value");
      o->namespace_ = *v;
    } else if (is("--profile")) {
      auto v = value("--profile");
      if (!v) return Fail("--profile needs a value");
      if (*v != "spec" && *v != "osm" && *v != "traefik" && *v != "linkerd") {
        return Fail("--profile must be spec, osm, traefik or linkerd, not '" + *v + "'");
      }
      o->profile = *v;
    } else if (is("--output") || a == "-o") {
      auto v = value(a == "-o" ? "-o" : "--output");
      if (!v || v->empty()) return Fail("-o needs a file name");
      o->output = *v;
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      return Fail("unknown option '" + a + "' (see meshproof --help)");
    } else if (o->command.empty()) {
      o->command = a;
    } else {
      o->paths.push_back(a);
    }
  }
  if (o->command != "verify" && o->command != "model" && o->command != "codes") {
    return Fail("unknown command '" + o->command + "' (see meshproof --help)");
  }
  if (o->command == "model" && !format_given) o->format = "json";
  const bool json_only = o->command == "model";
  if (o->format != "json" && (json_only || o->format != "text")) {
    return Fail("--format " + o->format + " is not available for " + o->command +
                (json_only ? " (json only)" : " (text or json)"));
  }
  if (o->command != "codes" && o->paths.empty()) {
    return Fail(o->command + " needs at least one PATH (a file, a folder or -)");
  }
  return -1;
}

// Prints or writes the result; returns false (after reporting) when writing failed.
bool Emit(const Options& o, const std::string& content) {
  if (o.output.empty()) {
    std::cout << content;
    std::cout.flush();
    return true;
  }
  Status s = WriteFileAtomically(o.output, content, o.paths);
  if (!s.ok()) {
    std::cerr << "meshproof: " << s.message() << "\n";
    return false;
  }
  return true;
}

std::string Plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

nlohmann::json Envelope(const Options& o) {
  return nlohmann::json{{"meshproof_version", MeshproofVersion()},
                        {"profile", o.profile},
                        {"inputs", o.paths}};
}

int RunVerify(const Options& o, const LoadResult& r) {
  const Diagnostics& diags = r.diagnostics;
  std::size_t failing = 0;
  for (const Diagnostic& d : diags.items()) {
    if (o.fail_on && d.severity >= *o.fail_on) ++failing;
  }
  std::string out;
  if (o.format == "json") {
    nlohmann::json j = Envelope(o);
    j["summary"] = {{"errors", diags.Count(Severity::kError)},
                    {"warnings", diags.Count(Severity::kWarning)},
                    {"infos", diags.Count(Severity::kInfo)},
                    {"objects", r.model.ObjectCount()},
                    {"files", r.files_read},
                    {"skipped", r.model.skipped}};
    j["diagnostics"] = nlohmann::json::array();
    for (const Diagnostic& d : diags.items()) j["diagnostics"].push_back(DiagnosticToJson(d, r.sources));
    j["failures"] = nlohmann::json::array();
    for (const Status& s : r.failures) j["failures"].push_back(s.message());
    out = j.dump(2) + "\n";
  } else {
    for (const Diagnostic& d : diags.items()) {
      if (o.quiet && !(o.fail_on && d.severity >= *o.fail_on)) continue;
      out += RenderDiagnosticText(d, r.sources);
    }
    if (!o.quiet) {
      std::size_t skipped = 0;
      for (const auto& [k, n] : r.model.skipped) skipped += static_cast<std::size_t>(n);
      out += "meshproof verify: " + Plural(diags.Count(Severity::kError), "error") + ", " +
             Plural(diags.Count(Severity::kWarning), "warning") + ", " +
             Plural(diags.Count(Severity::kInfo), "info") + " in " +
             Plural(r.model.ObjectCount(), "object") + " from " + Plural(r.files_read, "file");
      if (skipped > 0) out += " (" + std::to_string(skipped) + " of other kinds skipped)";
      out += " [profile " + o.profile + "]\n";
    }
  }
  if (!Emit(o, out)) return kExitCannotRun;
  for (const Status& s : r.failures) std::cerr << "meshproof: " << s.message() << "\n";
  if (!r.failures.empty()) return kExitCannotRun;
  return failing > 0 ? kExitFindings : kExitClean;
}

int RunModel(const Options& o, const LoadResult& r) {
  nlohmann::json j = Envelope(o);
  j["model"] = ModelToJson(r.model, r.sources);
  j["diagnostics"] = nlohmann::json::array();
  for (const Diagnostic& d : r.diagnostics.items()) {
    j["diagnostics"].push_back(DiagnosticToJson(d, r.sources));
  }
  if (!Emit(o, j.dump(2) + "\n")) return kExitCannotRun;
  for (const Status& s : r.failures) std::cerr << "meshproof: " << s.message() << "\n";
  return r.failures.empty() ? kExitClean : kExitCannotRun;
}

int RunCodes(const Options& o) {
  std::string out;
  if (o.format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const CodeInfo& c : DiagnosticCatalog()) {
      j.push_back({{"code", c.id},
                   {"severity", SeverityName(c.default_severity)},
                   {"implemented", c.status == CodeStatus::kChecked},
                   {"title", c.title}});
    }
    out = j.dump(2) + "\n";
  } else {
    for (const CodeInfo& c : DiagnosticCatalog()) {
      char line[256];
      std::snprintf(line, sizeof line, "%s  %-7s  %-21s  %s\n", c.id,
                    std::string(SeverityName(c.default_severity)).c_str(),
                    c.status == CodeStatus::kChecked ? "checked" : "not yet implemented", c.title);
      out += line;
    }
  }
  return Emit(o, out) ? kExitClean : kExitCannotRun;
}

int Main(int argc, char** argv) {
  Options o;
  if (int rc = ParseArgs(argc, argv, &o); rc >= 0) return rc;
  if (o.command == "codes") return RunCodes(o);
  LoadOptions lo;
  lo.default_namespace = o.namespace_;
  LoadResult r = LoadPaths(o.paths, lo);
  if (o.command == "model") return RunModel(o, r);
  return RunVerify(o, r);
}

}  // namespace
}  // namespace meshproof::cli

int main(int argc, char** argv) {
  try {
    return meshproof::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Libraries return Status; reaching here is a bug. Say so in one line.
    std::cerr << "meshproof: internal error: " << e.what() << "\n";
    return 2;
  }
}
