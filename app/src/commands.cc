#include "meshproof/app/commands.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>

#include "meshproof/engine/config.h"
#include "meshproof/engine/profile.h"
#include "meshproof/engine/quantity.h"
#include "meshproof/simulator/scenario.h"

namespace meshproof::app {
namespace {

// Flag groups, so each command's list reads as what it is.
const std::vector<std::string> kOutputFlags = {"--output", "--format", "--output-file",
                                               "--quiet",  "--color",  "--help"};
const std::vector<std::string> kLoadFlags = {"--namespace", "--profile", "--permissive",
                                             "--no-permissive", "--config"};
const std::vector<std::string> kRunFlags = {
    "--seed",          "--replications", "--duration", "--jobs", "--profile", "--permissive",
    "--no-permissive", "--max-memory",   "--force",    "--set",  "--base-dir"};

std::vector<std::string> Join(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string JoinWords(const std::vector<std::string>& words, const char* sep = ", ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : sep) + w;
  return out;
}

Status Usage(const std::string& message) { return Status::InvalidArgument(message); }

// Levenshtein distance, for "did you mean" hints on mistyped flags and commands.
std::size_t Distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 3;  // only close misspellings
  for (const auto& c : candidates) {
    const std::size_t d = Distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

const FlagSpec* FindFlag(const std::string& name) {
  for (const FlagSpec& f : AllFlags()) {
    if (name == f.name || (f.short_name[0] != '\0' && name == f.short_name)) return &f;
  }
  return nullptr;
}

bool Takes(const CommandSpec& c, const FlagSpec& f) {
  return std::find(c.flags.begin(), c.flags.end(), f.name) != c.flags.end();
}

StatusOr<unsigned long long> NonNegative(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || end == v.c_str() || *end != '\0' || errno != 0 || v[0] == '-') {
    return Usage(flag + " must be a non-negative integer, not '" + v + "'");
  }
  return n;
}

Status SetFormat(const CommandSpec& c, const std::string& flag, const std::string& v, Request* r) {
  auto f = ParseFormat(v);
  if (!f || std::find(c.formats.begin(), c.formats.end(), v) == c.formats.end()) {
    std::string msg = flag + " " + v + " is not an output format of " + c.name + " (" +
                      JoinWords(c.formats) + ")";
    if (!f && (v.find('.') != std::string::npos || v.find('/') != std::string::npos)) {
      msg += "; -o is the format, as in kubectl: to write a file use --output-file " + v;
    }
    return Usage(msg);
  }
  r->format = *f;
  r->format_given = true;
  return Status::Ok();
}

// "4Gi", "512Mi", "2G", "1.5GiB", "1073741824": a Kubernetes quantity, with an optional
// trailing "B" as people also write sizes.
std::optional<std::size_t> ParseSize(std::string v) {
  if (v.size() > 1 && (v.back() == 'B' || v.back() == 'b') &&
      std::isalpha(static_cast<unsigned char>(v[v.size() - 2])))
    v.pop_back();
  auto q = ParseQuantity(v);
  if (!q || q->negative || !(q->approx >= 1) || q->approx > 1.8e19) return std::nullopt;
  return static_cast<std::size_t>(q->approx);
}

Status SetRunFlag(const std::string& flag, const std::string& v, Request* r) {
  if (flag == "--max-memory") {
    auto size = ParseSize(v);
    if (!size || *size < (std::size_t{1} << 20))
      return Usage("--max-memory must be a size of at least 1Mi such as 4Gi or 512Mi, not '" + v +
                   "'");
    r->max_memory = *size;
    return Status::Ok();
  }
  if (flag == "--duration") {
    auto d = sim::ParseDuration(v);
    if (!d || *d <= 0) {
      return Usage("--duration must be a positive duration such as 600s or 10m, not '" + v + "'");
    }
    r->duration = *d;
    return Status::Ok();
  }
  auto n = NonNegative(flag, v);
  if (!n.ok()) return n.status();
  if (flag == "--seed") r->seed = *n;
  if (flag == "--replications") {
    if (*n < 1 || *n > 100000) return Usage("--replications must be 1-100000");
    r->replications = static_cast<int>(*n);
  }
  if (flag == "--jobs") {
    if (*n < 1 || *n > 1024) return Usage("--jobs must be 1-1024");
    r->jobs = static_cast<int>(*n);
  }
  return Status::Ok();
}

Status SetQueryFlag(const std::string& flag, const std::string& v, Request* r) {
  QueryRequest& q = r->query;
  if (flag == "--from") q.from = v;
  if (flag == "--to") q.to = v;
  if (flag == "--to-identity") q.to_identity = v;
  if (flag == "--method") q.method = v;
  if (flag == "--path") q.path = v;
  if (flag == "--port") {
    char* end = nullptr;
    const long p = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || p < 1 || p > 65535) return Usage("--port must be 1-65535");
    q.port = static_cast<int>(p);
  }
  if (flag == "--header") {
    const auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) return Usage("--header must be NAME=VALUE");
    q.headers.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  }
  return Status::Ok();
}

// --fail-on: SLO verdicts for simulate and sweep, finding severities elsewhere.
Status SetFailOn(const CommandSpec& c, const std::string& v, Request* r) {
  if (c.command == Command::kCanary) {
    if (auto gates = ParseCanaryGates(v); !gates.ok()) return Usage(gates.status().message());
  } else if (c.command == Command::kSimulate || c.command == Command::kSweep) {
    if (v != "violated" && v != "uncertain" && v != "never") {
      return Usage("--fail-on for " + std::string(c.name) +
                   " must be violated, uncertain or never (SLO verdicts), not '" + v + "'");
    }
  } else if (v != "never" && !ParseSeverity(v)) {
    return Usage("--fail-on must be error, warning, info or never, not '" + v + "'");
  }
  r->fail_on = v;
  return Status::Ok();
}

// The what-if flags: scenario overrides, sweep axes and searches, where mesh paths resolve
// and which Dask scheduler runs the points.
Status SetWhatIfFlag(const std::string& flag, const std::string& v, Request* r) {
  if (flag == "--base-dir") {
    if (v.empty()) return Usage("--base-dir needs a folder");
    r->base_dir = v;
    return Status::Ok();
  }
  if (flag == "--dask") {
    r->dask = v;
    return Status::Ok();
  }
  const auto eq = v.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Usage(flag + " must be PATH=" +
                 (flag == "--set"    ? "VALUE"
                  : flag == "--vary" ? "V1,V2,... or PATH=FROM:TO:STEP"
                                     : "FROM:TO[:STEP]") +
                 ", not '" + v + "'");
  }
  if (flag == "--set") r->overrides.push_back({v.substr(0, eq), v.substr(eq + 1), "--set " + v});
  if (flag == "--vary") r->vary.push_back(v);
  if (flag == "--find-min" || flag == "--find-max") {
    if (!r->find_min.empty() || !r->find_max.empty()) {
      return Usage("give one --find-min or --find-max");
    }
    (flag == "--find-min" ? r->find_min : r->find_max) = v;
  }
  return Status::Ok();
}

// Applies one flag with its value (empty for switches) to `r`.
Status ApplyFlag(const CommandSpec& c, const FlagSpec& f, const std::string& v, Request* r) {
  const std::string flag = f.name;
  if (flag == "--output" || flag == "--format") return SetFormat(c, flag, v, r);
  if (flag == "--output-file") {
    if (v.empty()) return Usage("--output-file needs a path");
    r->output_file = v;
  } else if (flag == "--quiet") {
    r->quiet = true;
  } else if (flag == "--color") {
    if (v != "auto" && v != "always" && v != "never") {
      return Usage("--color must be auto, always or never, not '" + v + "'");
    }
    r->color_when = v;
  } else if (flag == "--namespace") {
    if (v.empty()) return Usage("--namespace needs a value");
    r->namespace_ = v;
  } else if (flag == "--profile") {
    if (!ParseProfileName(v)) {
      return Usage("--profile must be " + ProfileNameList() + ", not '" + v + "'");
    }
    r->profile = v;
  } else if (flag == "--fail-on") {
    return SetFailOn(c, v, r);
  } else if (flag == "--suppress") {
    if (auto sup = Suppression::Parse(v); !sup.ok()) return sup.status();
    r->suppress.push_back(v);
  } else if (flag == "--config" || flag == "--intents") {
    if (v.empty()) return Usage(flag + " needs a file");
    (flag == "--config" ? r->config : r->intents) = v;
  } else if (flag == "--solver-timeout-ms") {
    auto n = NonNegative(flag, v);
    if (!n.ok()) return n.status();
    if (*n < 1 || *n > 3600000) return Usage("--solver-timeout-ms must be 1-3600000");
    r->solver_timeout_ms = static_cast<unsigned>(*n);
  } else if (flag == "--git") {
    if (v.empty()) return Usage("--git needs a revision (e.g. origin/main)");
    r->git_ref = v;
  } else if (flag == "--fail-on-grant") {
    r->fail_on_grant = true;
  } else if (flag == "--permissive" || flag == "--no-permissive") {
    r->permissive = flag == "--permissive";
  } else if (flag == "--include-deny") {
    r->include_deny = true;
  } else if (flag == "--exact-headers") {
    r->query.exact_headers = true;
  } else if (flag == "--force") {
    r->force = true;
  } else if (flag == "--set" || flag == "--vary" || flag == "--find-min" || flag == "--find-max" ||
             flag == "--base-dir" || flag == "--dask") {
    return SetWhatIfFlag(flag, v, r);
  } else if (flag == "--seed" || flag == "--replications" || flag == "--duration" ||
             flag == "--jobs" || flag == "--max-memory") {
    return SetRunFlag(flag, v, r);
  } else {
    return SetQueryFlag(flag, v, r);
  }
  return Status::Ok();
}

// The positional arguments a command needs, checked after every flag is read.
Status CheckPositionals(const CommandSpec& c, Request* r) {
  const std::string name = c.name;
  const std::size_t n = r->paths.size();
  switch (c.command) {
    case Command::kDiff:
      if (r->git_ref.empty() && n != 2)
        return Usage("diff needs BASE and NEW (or --git REF PATH...)");
      if (!r->git_ref.empty() && n == 0) return Usage("diff --git REF needs at least one PATH");
      break;
    case Command::kSweep:
      if (!r->vary.empty() && (!r->find_min.empty() || !r->find_max.empty()))
        return Usage("sweep takes --vary (a grid) or --find-min/--find-max (a search), not both");
      if (r->vary.empty() && r->find_min.empty() && r->find_max.empty())
        return Usage("sweep needs --vary PATH=V1,V2,... or --find-min/--find-max PATH=FROM:TO");
      [[fallthrough]];
    case Command::kSimulate:
    case Command::kCanary:
      if (n != 1) return Usage(name + " needs exactly one SCENARIO file (or - for standard input)");
      break;
    case Command::kCodes:
    case Command::kCompletion:
      if (n > 1) return Usage(name + " takes at most one argument");
      if (c.command == Command::kCompletion && n == 0) {
        return Usage("completion needs a shell: bash, zsh or fish");
      }
      if (n == 1) r->topic = r->paths[0];
      r->paths.clear();
      break;
    default:
      if (n == 0) return Usage(name + " needs at least one PATH (a file, a folder or -)");
  }
  if (c.command == Command::kQuery) {
    if (r->query.from.empty()) return Usage("query needs --from NS/SERVICEACCOUNT");
    if (r->query.to.empty() == r->query.to_identity.empty()) {
      return Usage("query needs exactly one of --to NS/SERVICE or --to-identity NS/SERVICEACCOUNT");
    }
  }
  return Status::Ok();
}

std::vector<std::string> CommandNames() {
  std::vector<std::string> out;
  for (const auto& c : AllCommands()) out.push_back(c.name);
  return out;
}

// Which commands take `f`, for the "not a flag of this command" hint.
std::string TakenBy(const FlagSpec& f) {
  std::vector<std::string> names;
  for (const auto& c : AllCommands()) {
    if (Takes(c, f)) names.push_back(c.name);
  }
  return names.empty()
             ? ""
             : " (" + JoinWords(names) + " " + (names.size() == 1 ? "takes" : "take") + " it)";
}

struct Token {
  const FlagSpec* flag = nullptr;
  std::string written;  // the flag as typed
  std::string value;
};

// Splits argv into flags (with values) and positionals; flags are global by name here
// and checked against the command afterwards, so they may come before the command.
Status Tokenize(const std::vector<std::string>& args, std::vector<Token>* flags,
                std::vector<std::string>* positionals) {
  bool only_positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positionals || a == "-" || a.size() < 2 || a[0] != '-') {
      positionals->push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const FlagSpec* f = FindFlag(name);
    if (f == nullptr) {
      std::vector<std::string> all;
      for (const auto& x : AllFlags()) all.push_back(x.name);
      return Usage("unknown flag '" + name + "'" + Suggest(name, all) + " (see meshproof --help)");
    }
    Token t{f, name, ""};
    if (f->value[0] == '\0') {
      if (eq != std::string::npos) return Usage(name + " takes no value");
    } else if (eq != std::string::npos) {
      t.value = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      t.value = args[++i];
    } else {
      return Usage(name + " needs a value (" + f->value + ")");
    }
    flags->push_back(std::move(t));
  }
  return Status::Ok();
}

}  // namespace

const char* FormatName(OutputFormat f) {
  switch (f) {
    case OutputFormat::kText:
      return "text";
    case OutputFormat::kJson:
      return "json";
    case OutputFormat::kSarif:
      return "sarif";
    case OutputFormat::kJunit:
      return "junit";
    case OutputFormat::kMarkdown:
      return "markdown";
    case OutputFormat::kCsv:
      return "csv";
  }
  return "text";
}

std::optional<OutputFormat> ParseFormat(const std::string& name) {
  for (OutputFormat f : {OutputFormat::kText, OutputFormat::kJson, OutputFormat::kSarif,
                         OutputFormat::kJunit, OutputFormat::kMarkdown, OutputFormat::kCsv}) {
    if (name == FormatName(f)) return f;
  }
  return std::nullopt;
}

const char* CommandName(Command c) {
  for (const auto& spec : AllCommands()) {
    if (spec.command == c) return spec.name;
  }
  return c == Command::kVersion ? "version" : "help";
}

const std::vector<FlagSpec>& AllFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"--output", "-o", "FORMAT", "text json sarif junit markdown",
       "output format (as in kubectl): text by default; see the list below"},
      {"--format", "", "FORMAT", "text json sarif junit markdown", "same as --output"},
      {"--output-file", "", "PATH", "",
       "write the result to PATH atomically (never over an input; - is stdout)"},
      {"--quiet", "-q", "", "", "only findings at or above --fail-on, no summary or progress"},
      {"--color", "", "WHEN", "auto always never",
       "colour severities: auto (on a terminal, unless NO_COLOR is set), always, never"},
      {"--help", "-h", "", "", "this help"},
      {"--version", "", "", "", "print the version"},
      {"--namespace", "-n", "NS", "",
       "namespace for objects and names written without one (default: default)"},
      {"--profile", "", "NAME", "spec osm traefik linkerd",
       "semantics profile: spec (default), osm, traefik, linkerd"},
      {"--permissive", "", "", "",
       "OSM's permissive traffic policy mode: access policy allows every request (opt-in)"},
      {"--no-permissive", "", "", "",
       "enforce the TrafficTargets even where the config or scenario says permissive"},
      {"--config", "", "FILE", "", "settings file (default: .meshproof.yaml beside the inputs)"},
      {"--fail-on", "", "LEVEL", "error warning info never",
       "exit 1 when a finding is at or above LEVEL (default: error, or failOn)"},
      {"--suppress", "", "SPEC", "",
       "hide findings: CODE or CODE=kind/namespace/name (repeatable)"},
      {"--intents", "", "FILE", "", "intents to check (allow/deny list, added to the config's)"},
      {"--solver-timeout-ms", "", "MS", "",
       "bound on each solver call (default 2000, or solverTimeoutMs); a timeout is MP9001"},
      {"--include-deny", "", "", "", "also list (source, service, port) entries that are denied"},
      {"--from", "", "NS/SA", "", "the calling identity (ServiceAccount)"},
      {"--to", "", "NS/SERVICE", "", "the Service called"},
      {"--to-identity", "", "NS/SA", "", "the receiving identity, instead of --to"},
      {"--port", "", "N", "", "the port (a Service port with --to, a pod port with --to-identity)"},
      {"--method", "", "METHOD", "", "HTTP method (left out: any)"},
      {"--path", "", "PATH", "", "HTTP path (left out: any)"},
      {"--header", "", "NAME=VALUE", "", "a request header (repeatable)"},
      {"--exact-headers", "", "", "", "the request carries exactly the headers given"},
      {"--git", "", "REF", "", "diff: BASE is PATH... at git revision REF"},
      {"--fail-on-grant", "", "", "", "exit 1 when the change grants any request"},
      {"--seed", "", "N", "", "random seed (default: the scenario's); same seed, same output"},
      {"--replications", "", "N", "", "independent replications (95% intervals across them)"},
      {"--duration", "", "D", "", "simulated time per replication, e.g. 10m (canary: the horizon)"},
      {"--jobs", "", "N", "", "replications run in parallel (default: all cores)"},
      {"--max-memory", "", "SIZE", "",
       "memory budget of the run, e.g. 4Gi (default: half of physical memory)"},
      {"--force", "", "", "", "run even when the estimate exceeds the memory or event budget"},
      {"--set", "", "PATH=VALUE", "",
       "change one scenario value, e.g. workloads[shop/cart].replicas=4 (repeatable)"},
      {"--base-dir", "", "DIR", "",
       "resolve the scenario's relative mesh paths against DIR (default: its folder)"},
      {"--vary", "", "PATH=VALUES", "",
       "sweep a value: PATH=V1,V2,... or PATH=FROM:TO:STEP (repeatable: the grid)"},
      {"--find-min", "", "PATH=FROM:TO[:STEP]", "",
       "the smallest value at which every SLO is met (bisection)"},
      {"--find-max", "", "PATH=FROM:TO[:STEP]", "",
       "the largest value at which every SLO is met (bisection)"},
      {"--dask", "", "ADDRESS", "",
       "run the points on a Dask cluster (python3 -m meshproof sweep only)"},
  };
  return kFlags;
}

namespace {

// The commands over manifests: what the policy allows and what a change does.
std::vector<CommandSpec> PolicyCommands() {
  return {
      {Command::kVerify,
       "verify",
       "PATH...",
       "every check of the diagnostic catalog",
       Join({kOutputFlags,
             kLoadFlags,
             {"--fail-on", "--suppress", "--intents", "--solver-timeout-ms"}}),
       {"text", "json", "sarif", "junit"},
       {"meshproof verify deploy/",
        "meshproof verify -o sarif --output-file meshproof.sarif --fail-on warning deploy/"}},
      {Command::kReach,
       "reach",
       "PATH...",
       "who can reach what: every (source identity, Service, port) with what is allowed",
       Join({kOutputFlags, kLoadFlags, {"--include-deny"}}),
       {"text", "json"},
       {"meshproof reach deploy/", "meshproof reach -o json --include-deny deploy/"}},
      {Command::kQuery,
       "query",
       "PATH...",
       "may this identity send this request? allow, partial, deny or unknown, with a witness",
       Join({kOutputFlags,
             kLoadFlags,
             {"--from", "--to", "--to-identity", "--port", "--method", "--path", "--header",
              "--exact-headers", "--solver-timeout-ms"}}),
       {"text", "json"},
       {"meshproof query deploy/ --from shop/web --to shop/cart --method GET --path /items",
        "meshproof query deploy/ -n shop --from web --to-identity cart --port 8080"}},
      {Command::kModel,
       "model",
       "PATH...",
       "the typed model as stable, sorted JSON",
       Join({kOutputFlags, {"--namespace"}}),
       {"json"},
       {"meshproof model deploy/", "meshproof model --output-file model.json deploy/"}},
      {Command::kDiff,
       "diff",
       "BASE NEW | --git REF PATH...",
       "what a change does: granted and revoked requests, share changes, new findings",
       Join({kOutputFlags,
             kLoadFlags,
             {"--git", "--fail-on-grant", "--fail-on", "--suppress", "--solver-timeout-ms"}}),
       {"text", "json", "markdown", "sarif"},
       {"meshproof diff base/ new/ -o markdown",
        "meshproof diff --git origin/main deploy/ --fail-on-grant"}},
  };
}

// The commands over scenarios, and the helpers.
std::vector<CommandSpec> RunAndHelperCommands() {
  return {
      {Command::kSimulate,
       "simulate",
       "SCENARIO",
       "run a traffic scenario: per-edge SMI TrafficMetrics with 95% intervals",
       Join({kOutputFlags, kRunFlags, {"--fail-on"}}),
       {"text", "json"},
       {"meshproof simulate scenarios/payments/scenario.yaml",
        "meshproof simulate scenario.yaml -o json --seed 7 --replications 10 --duration 10m"}},
      {Command::kCanary,
       "canary",
       "SCENARIO",
       "predict a Flagger canary rollout: outcome probabilities, timeline, failed requests",
       Join({kOutputFlags, kRunFlags, {"--fail-on"}}),
       {"text", "json"},
       {"meshproof canary scenarios/canary-denied/scenario.yaml",
        "meshproof canary scenario.yaml --fail-on rollback=0.1,progressing",
        "meshproof canary scenario.yaml -o json --replications 200 --duration 30m"}},
      {Command::kSweep,
       "sweep",
       "SCENARIO",
       "what-if capacity: a grid of scenario values, or the smallest/largest that meets the SLOs",
       Join({kOutputFlags, kRunFlags, {"--vary", "--find-min", "--find-max", "--dask"}}),
       {"text", "json", "csv"},
       {"meshproof sweep scenario.yaml --vary sources[readers].rate=100,200,400",
        "meshproof sweep scenario.yaml --find-min workloads[shop/cart].replicas=1:16"}},
      {Command::kCodes,
       "codes",
       "[CODE]",
       "the diagnostic catalog, or one code with a triggering example",
       {"--output", "--format", "--output-file", "--color", "--help"},
       {"text", "json"},
       {"meshproof codes", "meshproof codes MP3011"}},
      {Command::kCompletion,
       "completion",
       "bash|zsh|fish",
       "print a shell completion script",
       {"--help"},
       {"text"},
       {"source <(meshproof completion bash)",
        "meshproof completion fish > ~/.config/fish/completions/meshproof.fish"}},
  };
}

}  // namespace

const std::vector<CommandSpec>& AllCommands() {
  static const std::vector<CommandSpec> kCommands = [] {
    std::vector<CommandSpec> all = PolicyCommands();
    for (auto& c : RunAndHelperCommands()) all.push_back(std::move(c));
    return all;
  }();
  return kCommands;
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const auto& c : AllCommands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

StatusOr<Request> ParseCommandLine(const std::vector<std::string>& args) {
  Request r;
  std::vector<Token> flags;
  std::vector<std::string> positionals;
  if (Status s = Tokenize(args, &flags, &positionals); !s.ok()) return s;
  auto given = [&](const char* name) {
    return std::any_of(flags.begin(), flags.end(),
                       [&](const Token& t) { return std::string(t.flag->name) == name; });
  };
  const bool help = given("--help");
  if (given("--version")) {
    r.command = Command::kVersion;
    return r;
  }
  if (!positionals.empty() && (positionals[0] == "help" || positionals[0] == "version")) {
    r.command = positionals[0] == "help" ? Command::kHelp : Command::kVersion;
    if (positionals.size() > 1) r.topic = positionals[1];
    return r;
  }
  if (positionals.empty()) {
    r.command = Command::kHelp;
    if (!help) return Usage("a command is needed (see meshproof --help)");
    return r;
  }
  const CommandSpec* c = FindCommand(positionals[0]);
  if (c == nullptr) {
    return Usage("unknown command '" + positionals[0] + "'" +
                 Suggest(positionals[0], CommandNames()) +
                 " (commands: " + JoinWords(CommandNames()) + ")");
  }
  r.command = c->command;
  if (help) {
    r.topic = c->name;
    r.command = Command::kHelp;
    return r;
  }
  r.format = *ParseFormat(c->formats.front());
  r.paths.assign(positionals.begin() + 1, positionals.end());
  for (const Token& t : flags) {
    if (!Takes(*c, *t.flag)) {
      return Usage(std::string(c->name) + " does not take " + t.written + TakenBy(*t.flag) +
                   "; see meshproof " + c->name + " --help");
    }
    if (Status s = ApplyFlag(*c, *t.flag, t.value, &r); !s.ok()) return s;
  }
  if (Status s = CheckPositionals(*c, &r); !s.ok()) return s;
  return r;
}

}  // namespace meshproof::app
