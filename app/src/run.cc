#include "meshproof/app/run.h"

#include <algorithm>
#include <filesystem>

#include "git_source.h"
#include "run_internal.h"
#include <unistd.h>

#include "meshproof/app/commands.h"
#include "meshproof/app/render_text.h"
#include "meshproof/app/settings.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/names.h"
#include "meshproof/engine/render.h"
#include "meshproof/engine/text.h"
#include "meshproof/simulator/canary_checks.h"
#include "meshproof/solver/diff.h"
#include "meshproof/solver/render.h"
#include "meshproof/solver/verify.h"

namespace meshproof::app {
namespace {

using nlohmann::json;

std::string Plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

json Envelope(const std::string& profile, bool permissive, const std::vector<std::string>& inputs) {
  return json{{"meshproof_version", MeshproofVersion()},
              {"profile", profile},
              {"permissive", permissive},
              {"inputs", inputs}};
}

json Envelope(const Settings& s, const std::vector<std::string>& inputs) {
  return Envelope(s.profile_name, s.verify.permissive, inputs);
}

const Profile& ProfileOf(const Settings& s) {
  return GetProfile(s.verify.profile, s.verify.permissive);
}

// Operational failures of the load (unreadable paths) go to stderr and make the exit 2,
// after whatever could be analysed was reported.
int FinishWithFailures(const LoadResult& r, int exit_code, Outcome* out) {
  for (const Status& s : r.failures) out->messages.push_back(s.message());
  return r.failures.empty() ? exit_code : kExitCannotRun;
}

std::string VerifySummary(const Diagnostics& diags, const LoadResult& r, std::size_t suppressed,
                          const std::string& profile) {
  std::size_t skipped = 0;
  for (const auto& [k, n] : r.model.skipped) skipped += static_cast<std::size_t>(n);
  std::string out = "meshproof verify: " + Plural(diags.Count(Severity::kError), "error") + ", " +
                    Plural(diags.Count(Severity::kWarning), "warning") + ", " +
                    Plural(diags.Count(Severity::kInfo), "info") + " in " +
                    Plural(r.model.ObjectCount(), "object") + " from " +
                    Plural(r.files_read, "file");
  if (skipped > 0) out += " (" + std::to_string(skipped) + " of other kinds skipped)";
  if (suppressed > 0) out += " (" + std::to_string(suppressed) + " suppressed)";
  return out + " [profile " + profile + "]\n";
}

json VerifyJson(const Request& req, const Settings& s, const Diagnostics& diags,
                const LoadResult& r, std::size_t suppressed) {
  json j = Envelope(s, req.paths);
  j["summary"] = {{"errors", diags.Count(Severity::kError)},
                  {"warnings", diags.Count(Severity::kWarning)},
                  {"infos", diags.Count(Severity::kInfo)},
                  {"objects", r.model.ObjectCount()},
                  {"files", r.files_read},
                  {"suppressed", suppressed},
                  {"skipped", r.model.skipped}};
  j["diagnostics"] = json::array();
  for (const Diagnostic& d : diags.items())
    j["diagnostics"].push_back(DiagnosticToJson(d, r.sources));
  // Findings that share a root cause, each instance listed under its group.
  j["groups"] = json::array();
  for (const FindingGroup& g : GroupFindings(diags.items())) {
    json members = json::array();
    for (std::size_t i : g.members) members.push_back(j["diagnostics"][i]);
    j["groups"].push_back({{"code", InfoOf(g.code).id},
                           {"key", g.key},
                           {"count", g.members.size()},
                           {"instances", members}});
  }
  j["failures"] = json::array();
  for (const Status& f : r.failures) j["failures"].push_back(f.message());
  return j;
}

Outcome RunVerify(const Request& req, LoadResult& r) {
  Outcome out;
  auto settings = ResolveSettings(req, req.paths, &r);
  if (!settings.ok()) return CannotRun(settings.status().message());
  // Flagger's checks on the Canaries among the manifests join the load's findings, so
  // severity overrides and suppressions treat them like any other.
  sim::CheckCanaries(r, ProfileOf(*settings), req.namespace_, &r.diagnostics);
  std::size_t suppressed = 0;
  const Diagnostics diags = Verify(r, settings->verify, &suppressed);
  std::size_t failing = 0;
  for (const Diagnostic& d : diags.items()) {
    if (settings->fail_on && d.severity >= *settings->fail_on) ++failing;
  }
  out.document = VerifyJson(req, *settings, diags, r, suppressed);
  switch (req.format) {
    case OutputFormat::kJson:
      out.output = JsonText(&out.document);
      break;
    case OutputFormat::kSarif: {
      SarifLog log(SourceRoot(), &r.sources, LocatorFor(r.model));
      for (const Diagnostic& d : diags.items()) log.AddDiagnostic(d);
      json sarif = log.Build();
      out.output = JsonText(&sarif);
      break;
    }
    case OutputFormat::kJunit:
      out.output = RenderJunit(diags.items(), r.sources, settings->fail_on);
      break;
    default:
      out.output = FindingsText(diags.items(), r.sources,
                                TextStyle{req.color, req.quiet, settings->fail_on});
      if (!req.quiet)
        out.output +=
            VerifySummary(diags, r, suppressed,
                          ProfileLabel(settings->profile_name, settings->verify.permissive));
  }
  out.exit_code = FinishWithFailures(r, failing > 0 ? kExitFindings : kExitClean, &out);
  return out;
}

Outcome RunReach(const Request& req, LoadResult& r) {
  Outcome out;
  auto settings = ResolveSettings(req, req.paths, &r);
  if (!settings.ok()) return CannotRun(settings.status().message());
  const RouteGraph g = CompileGraph(r.model, ProfileOf(*settings));
  const std::vector<ReachEntry> matrix = ReachMatrix(g, req.include_deny);
  out.document = Envelope(*settings, req.paths);
  out.document["entries"] = ReachToJson(g, matrix);
  out.output =
      req.format == OutputFormat::kJson
          ? JsonText(&out.document)
          : ReachText(g, matrix, ProfileLabel(settings->profile_name, settings->verify.permissive));
  out.exit_code = FinishWithFailures(r, kExitClean, &out);
  return out;
}

// --from/--to as the user wrote them, resolved with -n: "name" alone is in that namespace.
StatusOr<QueryRequest> ResolveQueryNames(const Request& req) {
  QueryRequest q = req.query;
  auto resolve = [&](const char* flag, std::string* text) -> Status {
    if (text->empty()) return Status::Ok();
    auto n = NamespacedName::Parse(*text, req.namespace_);
    if (!n)
      return Status::InvalidArgument(std::string(flag) + " '" + *text + "' is not NAMESPACE/NAME");
    *text = n->str();
    return Status::Ok();
  };
  for (auto [flag, field] : {std::pair{"--from", &q.from}, std::pair{"--to", &q.to},
                             std::pair{"--to-identity", &q.to_identity}}) {
    if (Status s = resolve(flag, field); !s.ok()) return s;
  }
  return q;
}

Outcome RunQuery(const Request& req, LoadResult& r) {
  Outcome out;
  auto settings = ResolveSettings(req, req.paths, &r);
  if (!settings.ok()) return CannotRun(settings.status().message());
  auto q = ResolveQueryNames(req);
  if (!q.ok()) return CannotRun(q.status().message());
  const RouteGraph g = CompileGraph(r.model, ProfileOf(*settings));
  if (std::string problem = NameProblem(g, *q); !problem.empty()) {
    Outcome bad = CannotRun(problem);
    FinishWithFailures(r, kExitCannotRun, &bad);
    return bad;
  }
  const QueryAnswer a = Query(g, *q, settings->solver_timeout_ms);
  out.document = Envelope(*settings, req.paths);
  out.document.update(QueryAnswerToJson(a));
  out.output = req.format == OutputFormat::kJson ? JsonText(&out.document) : QueryText(a);
  const int verdict_exit = a.unknown                      ? kExitUnknown
                           : a.verdict == Verdict::kAllow ? kExitClean
                                                          : kExitFindings;
  out.exit_code = FinishWithFailures(r, verdict_exit, &out);
  return out;
}

Outcome RunModel(const Request& req, const LoadResult& r) {
  Outcome out;
  out.document = Envelope(req.profile.value_or("spec"), req.permissive.value_or(false), req.paths);
  out.document["model"] = ModelToJson(r.model, r.sources);
  out.document["diagnostics"] = json::array();
  for (const Diagnostic& d : r.diagnostics.items()) {
    out.document["diagnostics"].push_back(DiagnosticToJson(d, r.sources));
  }
  out.output = JsonText(&out.document);
  out.exit_code = FinishWithFailures(r, kExitClean, &out);
  return out;
}

Outcome RunDiff(const Request& req) {
  LoadOptions lo;
  lo.default_namespace = req.namespace_;
  LoadResult base;
  std::vector<std::string> new_paths = req.paths;
  if (!req.git_ref.empty()) {
    auto b = LoadFromGit(req.git_ref, req.paths, lo);
    if (!b.ok()) return CannotRun(b.status().message());
    base = std::move(*b);
  } else {
    base = LoadPaths({req.paths[0]}, lo);
    new_paths = {req.paths[1]};
  }
  LoadResult next = LoadPaths(new_paths, lo);
  Outcome out;
  for (const LoadResult* r : {&base, &next}) FinishWithFailures(*r, kExitCannotRun, &out);
  if (!out.messages.empty()) {
    out.exit_code = kExitCannotRun;
    return out;
  }
  // Settings (profile, fail-on, solver timeout) from the NEW side's configuration.
  auto settings = ResolveSettings(req, new_paths, &next);
  if (!settings.ok()) return CannotRun(settings.status().message());
  DiffOptions dopt;
  dopt.profile = settings->verify.profile;
  dopt.permissive = settings->verify.permissive;
  dopt.solver_timeout_ms = settings->solver_timeout_ms;
  const DiffResult d = Diff(base, next, dopt);
  out.document = Envelope(*settings, req.paths);
  out.document["base"] = req.git_ref.empty() ? req.paths[0] : req.git_ref;
  out.document.update(DiffToJson(d));
  switch (req.format) {
    case OutputFormat::kJson:
      out.output = JsonText(&out.document);
      break;
    case OutputFormat::kMarkdown:
      out.output = DiffToMarkdown(d);
      break;
    case OutputFormat::kSarif: {
      json sarif = DiffToSarif(d, next, SourceRoot());
      out.output = JsonText(&sarif);
      break;
    }
    default:
      out.output = DiffToText(d);
  }
  const bool granted =
      std::any_of(d.slices.begin(), d.slices.end(), [](const SliceChange& s) { return s.granted; });
  const bool regressions = std::any_of(
      d.new_findings.begin(), d.new_findings.end(),
      [&](const FindingRef& f) { return settings->fail_on && f.severity >= *settings->fail_on; });
  out.exit_code = (req.fail_on_grant && granted) || regressions ? kExitFindings : kExitClean;
  return out;
}

Outcome RunHelp(const Request& req) {
  Outcome out;
  if (!req.topic.empty() && FindCommand(req.topic) == nullptr) {
    return CannotRun("no help for '" + req.topic + "': not a command (see meshproof --help)");
  }
  out.output = HelpText(FindCommand(req.topic));
  return out;
}

Outcome RunCompletion(const Request& req) {
  auto script = CompletionScript(req.topic);
  if (!script.ok()) return CannotRun(script.status().message());
  Outcome out;
  out.output = *script;
  return out;
}

LoadResult LoadInputs(const Request& req) {
  LoadOptions lo;
  lo.default_namespace = req.namespace_;
  return LoadPaths(req.paths, lo);
}

}  // namespace

Outcome CannotRun(const std::string& message) {
  Outcome out;
  out.exit_code = kExitCannotRun;
  out.messages.push_back(message);
  return out;
}

std::string SourceRoot() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return "";
  for (fs::path p = cwd;; p = p.parent_path()) {
    if (fs::exists(p / ".git", ec)) return (p / "").string();
    if (p == p.parent_path()) break;
  }
  return (cwd / "").string();
}

Outcome RunLoaded(const Request& request, LoadResult loaded) {
  switch (request.command) {
    case Command::kVerify:
      return RunVerify(request, loaded);
    case Command::kReach:
      return RunReach(request, loaded);
    case Command::kQuery:
      return RunQuery(request, loaded);
    case Command::kModel:
      return RunModel(request, loaded);
    default:
      return CannotRun(std::string(CommandName(request.command)) +
                       " does not run on loaded manifests");
  }
}

std::string JsonText(json* doc) {
  EscapeInvalidUtf8(doc);
  return doc->dump(2) + "\n";
}

namespace {

Outcome Dispatch(const Request& request) {
  switch (request.command) {
    case Command::kVerify:
    case Command::kReach:
    case Command::kQuery:
    case Command::kModel:
      return RunLoaded(request, LoadInputs(request));
    case Command::kDiff:
      return RunDiff(request);
    case Command::kSimulate:
      return RunSimulate(request);
    case Command::kCanary:
      return RunCanary(request);
    case Command::kSweep:
      return RunSweep(request);
    case Command::kCodes:
      return RunCodes(request);
    case Command::kCompletion:
      return RunCompletion(request);
    case Command::kVersion: {
      Outcome out;
      out.output = std::string("meshproof ") + MeshproofVersion() + "\n";
      return out;
    }
    case Command::kHelp:
      return RunHelp(request);
  }
  return CannotRun("unknown command");
}

}  // namespace

Outcome Run(const Request& request) {
  Outcome out;
  try {
    out = Dispatch(request);
  } catch (const std::bad_alloc&) {
    // Budgets stop runs before this (simulation.h); should memory still run out, the
    // answer is a clear exit 2 with nothing written, never an abort.
    out = CannotRun(std::string("out of memory while running ") + CommandName(request.command));
  }
  // User bytes leave in one shape (engine/text.h): the document as Python receives it,
  // and everything meant for a terminal. JSON, SARIF and JUnit output escaped theirs when
  // they were serialised; text output is escaped here, keeping only our own colours.
  EscapeInvalidUtf8(&out.document);
  for (std::string& m : out.messages) m = EscapeForTerminal(m);
  out.diagnostics_text = EscapeForTerminal(out.diagnostics_text, request.color);
  if (request.format == OutputFormat::kText || request.format == OutputFormat::kMarkdown)
    out.output = EscapeForTerminal(out.output, request.color);
  return out;
}

}  // namespace meshproof::app
