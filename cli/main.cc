// meshproof: the command-line front end. Thin by design: it parses flags, calls the
// libraries and prints. Exit codes (product-spec.md): 0 clean, 1 findings at or above
// --fail-on, 2 could not run (bad flags, unreadable path, internal error).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "git_source.h"
#include "output.h"
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "meshproof/engine/config.h"
#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/render.h"
#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/render.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/simulation.h"
#include "meshproof/solver/diff.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"
#include "meshproof/solver/render.h"
#include "meshproof/solver/verify.h"

namespace meshproof::cli {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitCannotRun = 2;

const char* kUsage = R"(meshproof - prove and simulate SMI policy before it reaches a cluster

Usage:
  meshproof verify PATH... [--format text|json|sarif|junit] [--fail-on error|warning|info|never]
                           [--suppress CODE[=kind/ns/name]]... [--config FILE] [--intents FILE]
  meshproof reach PATH...  [--format text|json] [--include-deny]
  meshproof query PATH...  --from NS/SA (--to NS/SERVICE | --to-identity NS/SA) [--port N]
                           [--method M] [--path P] [--header NAME=VALUE]... [--exact-headers]
  meshproof diff BASE NEW  [--format text|json|markdown|sarif] [--fail-on-grant]
  meshproof diff --git REF PATH...      (BASE is PATH... at git revision REF)
  meshproof model PATH...  [--format json]
    meshproof simulate SCENARIO [--format text|json] [--seed N] [--replications N]
                           [--duration D] [--jobs N]
  meshproof canary SCENARIO   [--format text|json] [--seed N] [--replications N]
                           [--duration HORIZON] [--jobs N]
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

  --suppress SPEC    hide findings: CODE, or CODE=kind/namespace/name (repeatable)
  --config FILE     settings file (default: .meshproof.yaml next to the inputs)
  --intents FILE    intents to check (a list of allow/deny, see README)

  --seed N          simulate: seed (default: the scenario's); same seed, same output
  --replications N  simulate: independent replications, reported with 95% intervals
  --duration D      simulate: simulated time per replication (e.g. 10m, 600s)
  --jobs N          simulate: replications run in parallel (default: all cores)

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 could not run.
query: 0 allow, 1 deny or partial, 2 could not run, 3 unknown.
)";

struct Options {
  std::string command;
  std::vector<std::string> paths;
  std::string format = "text";
  std::optional<Severity> fail_on = Severity::kError;  // nullopt = never
  std::string namespace_ = "default";
  std::string profile = "spec";
  bool profile_given = false;
  bool fail_on_given = false;
  std::string output;
  bool quiet = false;
  std::vector<std::string> suppress;
  std::string config;
  std::string intents;
  bool include_deny = false;
  std::string git_ref;
  bool fail_on_grant = false;
  QueryRequest query;
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  std::optional<double> duration;
  int jobs = 0;
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
      o->fail_on_given = true;
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
      if (!ParseProfileName(*v)) {
        return Fail("--profile must be spec, osm, traefik or linkerd, not '" + *v + "'");
      }
      o->profile = *v;
      o->profile_given = true;
    } else if (is("--suppress")) {
      auto v = value("--suppress");
      if (!v) return Fail("--suppress needs CODE or CODE=kind/namespace/name");
      if (auto sup = Suppression::Parse(*v); !sup.ok()) return Fail(sup.status().message());
      o->suppress.push_back(*v);
    } else if (is("--config")) {
      auto v = value("--config");
      if (!v) return Fail("--config needs a file");
      o->config = *v;
    } else if (is("--intents")) {
      auto v = value("--intents");
      if (!v) return Fail("--intents needs a file");
      o->intents = *v;
    } else if (is("--git")) {
      auto v = value("--git");
      if (!v || v->empty()) return Fail("--git needs a revision (e.g. origin/main)");
      o->git_ref = *v;
    } else if (is("--seed") || is("--replications") || is("--jobs") || is("--duration")) {
      std::string flag = a.substr(0, a.find('='));
      auto v = value(flag.c_str());
      if (!v) return Fail(flag + " needs a value");
      if (flag == "--duration") {
        auto d = meshproof::sim::ParseDuration(*v);
        if (!d || *d <= 0)
          return Fail("--duration must be a positive duration such as 600s or 10m, not '" + *v +
                      "'");
        o->duration = *d;
        continue;
      }
      char* end = nullptr;
      errno = 0;
      const unsigned long long n = std::strtoull(v->c_str(), &end, 10);
      if (end == v->c_str() || *end != '\0' || errno != 0 || (*v)[0] == '-') {
        return Fail(flag + " must be a non-negative integer, not '" + *v + "'");
      }
      if (flag == "--seed") o->seed = n;
      if (flag == "--replications") {
        if (n < 1 || n > 100000) return Fail("--replications must be 1-100000");
        o->replications = static_cast<int>(n);
      }
      if (flag == "--jobs") {
        if (n < 1 || n > 1024) return Fail("--jobs must be 1-1024");
        o->jobs = static_cast<int>(n);
      }
    } else if (a == "--fail-on-grant") {
      o->fail_on_grant = true;
    } else if (a == "--include-deny") {
      o->include_deny = true;
    } else if (a == "--exact-headers") {
      o->query.exact_headers = true;
    } else if (is("--from") || is("--to") || is("--to-identity") || is("--method") ||
               is("--path") || is("--port") || is("--header")) {
      std::string flag = a.substr(0, a.find('='));
      auto v = value(flag.c_str());
      if (!v) return Fail(flag + " needs a value");
      if (flag == "--from") o->query.from = *v;
      if (flag == "--to") o->query.to = *v;
      if (flag == "--to-identity") o->query.to_identity = *v;
      if (flag == "--method") o->query.method = *v;
      if (flag == "--path") o->query.path = *v;
      if (flag == "--port") {
        char* end = nullptr;
        long p = std::strtol(v->c_str(), &end, 10);
        if (end == v->c_str() || *end != '\0' || p < 1 || p > 65535)
          return Fail("--port must be 1-65535");
        o->query.port = static_cast<int>(p);
      }
      if (flag == "--header") {
        auto eq = v->find('=');
        if (eq == std::string::npos || eq == 0) return Fail("--header must be NAME=VALUE");
        o->query.headers.emplace_back(v->substr(0, eq), v->substr(eq + 1));
      }
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
  static const std::map<std::string, std::vector<std::string>> kFormats = {
      {"verify", {"text", "json", "sarif", "junit"}},
      {"reach", {"text", "json"}},
      {"diff", {"text", "json", "markdown", "sarif"}},
      {"query", {"text", "json"}},
      {"model", {"json"}},
      {"simulate", {"text", "json"}},
      {"canary", {"text", "json"}},
      {"codes", {"text", "json"}}};
  auto formats = kFormats.find(o->command);
  if (formats == kFormats.end()) {
    return Fail("unknown command '" + o->command + "' (see meshproof --help)");
  }
  if (o->command == "model" && !format_given) o->format = "json";
  if (std::find(formats->second.begin(), formats->second.end(), o->format) ==
      formats->second.end()) {
    std::string list;
    for (const auto& f : formats->second) list += (list.empty() ? "" : ", ") + f;
    return Fail("--format " + o->format + " is not available for " + o->command + " (" + list +
                ")");
  }
  if (o->command == "diff" && o->git_ref.empty() && o->paths.size() != 2) {
    return Fail("diff needs BASE and NEW (or --git REF PATH...)");
  }
  if (o->command == "query") {
    if (o->query.from.empty()) return Fail("query needs --from NS/SERVICEACCOUNT");
    if (o->query.to.empty() == o->query.to_identity.empty()) {
      return Fail("query needs exactly one of --to NS/SERVICE or --to-identity NS/SERVICEACCOUNT");
    }
  }
  if ((o->command == "simulate" || o->command == "canary") && o->paths.size() != 1) {
    return Fail(o->command + " needs exactly one SCENARIO file");
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
  return nlohmann::json{
      {"meshproof_version", MeshproofVersion()}, {"profile", o.profile}, {"inputs", o.paths}};
}

// Settings: --config, else .meshproof.yaml next to the inputs; flags override the file.
// Returns false (after reporting) when the configuration cannot be used.
bool ResolveSettings(Options* o, LoadResult* r, VerifyOptions* vo) {
  std::string path = o->config;
  if (path.empty()) {
    if (auto found = FindConfig(o->paths)) path = *found;
  }
  if (!path.empty()) {
    auto c = LoadConfig(path);
    if (!c.ok()) {
      std::cerr << "meshproof: " << c.status().message() << "\n";
      return false;
    }
    vo->config = std::move(*c);
  }
  const std::size_t from_config = vo->config.intents.size();
  if (!o->intents.empty()) {
    auto in = LoadIntents(o->intents);
    if (!in.ok()) {
      std::cerr << "meshproof: " << in.status().message() << "\n";
      return false;
    }
    auto& list = vo->config.intents;
    list.insert(list.end(), in->begin(), in->end());
  }
  // Intents point into their file: register it so findings can name and quote it.
  std::map<std::string, FileId> files;
  auto file_id = [&](const std::string& p) {
    auto it = files.find(p);
    if (it != files.end()) return it->second;
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return files[p] = r->sources.Add(p, ss.str());
  };
  for (std::size_t i = 0; i < vo->config.intents.size(); ++i) {
    vo->config.intents[i].loc.file = file_id(i < from_config ? path : o->intents);
  }
  if (!o->profile_given && vo->config.profile) {
    if (!ParseProfileName(*vo->config.profile)) {
      std::cerr << "meshproof: " << path << ": profile must be spec, osm, traefik or linkerd\n";
      return false;
    }
    o->profile = *vo->config.profile;
  }
  if (!o->fail_on_given && vo->config.fail_on) {
    o->fail_on = *vo->config.fail_on == "never" ? std::nullopt : ParseSeverity(*vo->config.fail_on);
  }
  for (const std::string& s : o->suppress)
    vo->config.suppressions.push_back(*Suppression::Parse(s));
  vo->profile = *ParseProfileName(o->profile);
  return true;
}

int RunVerify(Options o, LoadResult& r) {
  VerifyOptions vo;
  if (!ResolveSettings(&o, &r, &vo)) return kExitCannotRun;
  std::size_t suppressed = 0;
  const Diagnostics diags = Verify(r, vo, &suppressed);
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
                    {"suppressed", suppressed},
                    {"skipped", r.model.skipped}};
    j["diagnostics"] = nlohmann::json::array();
    for (const Diagnostic& d : diags.items())
      j["diagnostics"].push_back(DiagnosticToJson(d, r.sources));
    j["failures"] = nlohmann::json::array();
    for (const Status& s : r.failures) j["failures"].push_back(s.message());
    out = j.dump(2) + "\n";
  } else if (o.format == "sarif") {
    out = RenderSarif(diags.items(), r.sources, LocatorFor(r.model)).dump(2) + "\n";
  } else if (o.format == "junit") {
    out = RenderJunit(diags.items(), r.sources, o.fail_on);
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
      if (suppressed > 0) out += " (" + std::to_string(suppressed) + " suppressed)";
      out += " [profile " + o.profile + "]\n";
    }
  }
  if (!Emit(o, out)) return kExitCannotRun;
  for (const Status& s : r.failures) std::cerr << "meshproof: " << s.message() << "\n";
  if (!r.failures.empty()) return kExitCannotRun;
  return failing > 0 ? kExitFindings : kExitClean;
}

std::string ShareText(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", share * 100);
  return buf;
}

int RunReach(Options o, LoadResult& r) {
  VerifyOptions vo;
  if (!ResolveSettings(&o, &r, &vo)) return kExitCannotRun;
  RouteGraph g = CompileGraph(r.model, GetProfile(vo.profile));
  std::vector<ReachEntry> matrix = ReachMatrix(g, o.include_deny);
  std::string out;
  if (o.format == "json") {
    nlohmann::json j = Envelope(o);
    j["entries"] = ReachToJson(g, matrix);
    out = j.dump(2) + "\n";
  } else {
    char line[512];
    std::snprintf(line, sizeof line, "%-36s %-40s %-10s %-8s %s\n", "SOURCE", "DESTINATION", "PORT",
                  "VERDICT", "ALLOWED (granting TrafficTargets)");
    out += line;
    for (const ReachEntry& e : matrix) {
      std::string detail;
      std::set<std::string> seen;  // one line per receiving identity and what it allows
      for (const auto& pr : e.receivers) {
        std::string targets;
        for (std::size_t t : pr.access.targets)
          targets += (targets.empty() ? "" : ", ") + r.model.traffic_targets[t].meta.name;
        std::string item = g.identities()[pr.identity].key() + ": " + DescribeAccess(g, pr.access);
        if (!targets.empty()) item += " (" + targets + ")";
        if (!seen.insert(item).second) continue;
        detail += (detail.empty() ? "" : "; ") + item;
      }
      std::string verdict = VerdictName(e.verdict);
      if (e.verdict == Verdict::kPartial) verdict += " " + ShareText(e.denied_share) + " denied";
      std::string port = std::to_string(e.port) + "/" + PortProtocolName(e.protocol);
      std::snprintf(line, sizeof line, "%-36s %-40s %-10s %-8s ",
                    g.identities()[e.source].key().c_str(), g.services()[e.service].key().c_str(),
                    port.c_str(), verdict.c_str());
      out += line + detail + "\n";
    }
    out += "meshproof reach: " + std::to_string(matrix.size()) +
           (matrix.size() == 1 ? " entry" : " entries") + " [profile " + o.profile + "]\n";
  }
  if (!Emit(o, out)) return kExitCannotRun;
  for (const Status& s : r.failures) std::cerr << "meshproof: " << s.message() << "\n";
  return r.failures.empty() ? kExitClean : kExitCannotRun;
}

int RunQuery(Options o, LoadResult& r) {
  VerifyOptions vo;
  if (!ResolveSettings(&o, &r, &vo)) return kExitCannotRun;
  RouteGraph g = CompileGraph(r.model, GetProfile(vo.profile));
  QueryAnswer a = Query(g, o.query);
  std::string out;
  if (o.format == "json") {
    nlohmann::json j = Envelope(o);
    j.update(QueryAnswerToJson(a));
    out = j.dump(2) + "\n";
  } else {
    out += a.unknown ? std::string("unknown (the solver could not decide; proved so far: ") +
                           VerdictName(a.verdict) + ")"
                     : std::string(VerdictName(a.verdict));
    if (a.verdict == Verdict::kPartial)
      out += " (" + ShareText(a.denied_share) + " of these requests are denied)";
    out += "\n";
    if (!a.problem.empty()) out += "  " + a.problem + "\n";
    if (a.verdict != Verdict::kDeny) {
      const Witness& w = a.witness;
      out += "  witness: " + w.source + " -> " + w.destination + ":" + std::to_string(w.port);
      if (!w.method.empty()) out += " " + w.method;
      if (!w.path.empty()) out += " " + w.path;
      for (const auto& [k, v] : w.headers) out += " " + k + ": " + v;
      out += "\n";
    }
    for (const auto& p : a.ports) {
      out += "  port " + std::to_string(p.port) + "/" + PortProtocolName(p.protocol) + ": " +
             VerdictName(p.verdict) + "\n";
      for (const auto& b : p.because) {
        out += "    because " + b.traffic_target + " allows it on " + b.identity + " (" + b.routes +
               ")\n";
      }
      for (const auto& l : std::set<std::string>(p.lacks.begin(), p.lacks.end()))
        out += "    blocked: " + l + "\n";
    }
  }
  if (!Emit(o, out)) return kExitCannotRun;
  for (const Status& s : r.failures) std::cerr << "meshproof: " << s.message() << "\n";
  if (!r.failures.empty()) return kExitCannotRun;
  if (a.unknown) return 3;
  return a.verdict == Verdict::kAllow ? 0 : 1;
}

int RunDiff(Options o) {
  LoadOptions lo;
  lo.default_namespace = o.namespace_;
  LoadResult base, next;
  std::vector<std::string> new_paths = o.paths;
  if (!o.git_ref.empty()) {
    auto b = LoadFromGit(o.git_ref, o.paths, lo);
    if (!b.ok()) return Fail(b.status().message());
    base = std::move(*b);
  } else {
    base = LoadPaths({o.paths[0]}, lo);
    new_paths = {o.paths[1]};
  }
  next = LoadPaths(new_paths, lo);
  for (const LoadResult* r : {&base, &next}) {
    for (const Status& s : r->failures) {
      std::cerr << "meshproof: " << s.message() << "\n";
    }
    if (!r->failures.empty()) return kExitCannotRun;
  }
  // Settings (profile, fail-on) from the NEW side's configuration.
  Options settings = o;
  settings.paths = new_paths;
  VerifyOptions vo;
  if (!ResolveSettings(&settings, &next, &vo)) return kExitCannotRun;
  DiffOptions dopt;
  dopt.profile = vo.profile;
  if (vo.config.solver_timeout_ms) dopt.solver_timeout_ms = *vo.config.solver_timeout_ms;
  DiffResult d = Diff(base, next, dopt);
  std::string out;
  if (o.format == "json") {
    nlohmann::json j = Envelope(settings);
    j["base"] = o.git_ref.empty() ? o.paths[0] : o.git_ref;
    j.update(DiffToJson(d));
    out = j.dump(2) + "\n";
  } else if (o.format == "markdown") {
    out = DiffToMarkdown(d);
  } else if (o.format == "sarif") {
    out = DiffToSarif(d, next).dump(2) + "\n";
  } else {
    out = DiffToText(d);
  }
  if (!Emit(settings, out)) return kExitCannotRun;
  const bool granted =
      std::any_of(d.slices.begin(), d.slices.end(), [](const SliceChange& s) { return s.granted; });
  bool regressions = false;
  for (const FindingRef& f : d.new_findings) {
    if (settings.fail_on && *ParseSeverity(f.severity) >= *settings.fail_on) regressions = true;
  }
  return (o.fail_on_grant && granted) || regressions ? kExitFindings : kExitClean;
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

// The scenario named on the command line, or nullopt (after reporting) when it or its
// manifests cannot be read.
std::optional<meshproof::sim::LoadedScenario> LoadScenarioArg(const Options& o) {
  meshproof::sim::LoadedScenario loaded = meshproof::sim::LoadScenario(o.paths[0]);
  const std::vector<std::string> failures = loaded.FailureMessages();
  for (const std::string& f : failures) std::cerr << "meshproof: " << f << "\n";
  if (!failures.empty()) return std::nullopt;
  return loaded;
}

meshproof::sim::SimulationOptions SimulationOptionsFrom(const Options& o) {
  meshproof::sim::SimulationOptions so;
  so.seed = o.seed;
  so.replications = o.replications;
  so.duration = o.duration;
  so.jobs = o.jobs;
  if (!o.quiet && isatty(STDERR_FILENO)) so.progress = DrawProgress;
  return so;
}

int RunSimulate(const Options& o) {
  using namespace meshproof::sim;
  std::optional<LoadedScenario> arg = LoadScenarioArg(o);
  if (!arg) return kExitCannotRun;
  LoadedScenario& loaded = *arg;
  PreparedScenario prepared = PrepareScenario(&loaded, o.profile_given ? o.profile : "");
  if (prepared.simulator == nullptr) {
    for (const Diagnostic& d : loaded.diagnostics.items()) {
      std::cerr << RenderDiagnosticText(d, loaded.scenario_source);
    }
    std::cerr << "meshproof: the scenario has errors; nothing was simulated\n";
    return kExitCannotRun;
  }
  const std::size_t mesh_errors = loaded.mesh.diagnostics.Count(Severity::kError);
  if (mesh_errors > 0 && !o.quiet) {
    std::cerr << "meshproof: note: the manifests have " << Plural(mesh_errors, "error")
              << " (see meshproof verify); simulating what loaded\n";
  }
  SimulationResult result = prepared.simulator->Run(SimulationOptionsFrom(o));
  const RenderContext ctx = ContextFor(loaded, o.paths[0], prepared.profile);
  const std::string out = o.format == "json" ? SimulationToJson(result, ctx).dump(2) + "\n"
                                             : SimulationToText(result, ctx);
  return Emit(o, out) ? kExitClean : kExitCannotRun;
}

int RunCanary(const Options& o) {
  using namespace meshproof::sim;
  std::optional<LoadedScenario> arg = LoadScenarioArg(o);
  if (!arg) return kExitCannotRun;
  LoadedScenario& loaded = *arg;
  std::unique_ptr<PreparedCanary> prepared =
      PrepareCanary(&loaded, o.profile_given ? o.profile : "");
  // Canary findings (MP7xxx) point into the manifests; scenario findings into the scenario.
  for (const Diagnostic& d : prepared->diagnostics.items()) {
    if (d.severity == Severity::kError || !o.quiet)
      std::cerr << RenderDiagnosticText(d, loaded.mesh.sources);
  }
  if (!prepared->ok()) {
    for (const Diagnostic& d : loaded.diagnostics.items()) {
      std::cerr << RenderDiagnosticText(d, loaded.scenario_source);
    }
    std::cerr << "meshproof: the canary scenario has errors; nothing was simulated\n";
    return kExitCannotRun;
  }
  CanaryPrediction prediction = PredictCanary(*prepared, SimulationOptionsFrom(o));
  const RenderContext ctx = ContextFor(loaded, o.paths[0], prepared->profile);
  const std::string out = o.format == "json" ? CanaryToJson(prediction, ctx).dump(2) + "\n"
                                             : CanaryToText(prediction, ctx);
  return Emit(o, out) ? kExitClean : kExitCannotRun;
}

int Main(int argc, char** argv) {
  Options o;
  if (int rc = ParseArgs(argc, argv, &o); rc >= 0) return rc;
  if (o.command == "codes") return RunCodes(o);
  if (o.command == "diff") return RunDiff(o);
  if (o.command == "simulate") return RunSimulate(o);
  if (o.command == "canary") return RunCanary(o);
  LoadOptions lo;
  lo.default_namespace = o.namespace_;
  LoadResult r = LoadPaths(o.paths, lo);
  if (o.command == "model") return RunModel(o, r);
  if (o.command == "reach") return RunReach(o, r);
  if (o.command == "query") return RunQuery(o, r);
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
