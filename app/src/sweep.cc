// sweep: what-if capacity over a scenario (sweep.h).
#include "meshproof/app/sweep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "run_internal.h"

#include "meshproof/simulator/render.h"
#include "meshproof/simulator/simulation.h"
#include "meshproof/simulator/slo.h"

namespace meshproof::app {
namespace {

using nlohmann::json;

// One varied (or searched) parameter: its path, its values as text, and how it was given.
struct Axis {
  std::string path;
  std::vector<std::string> values;
  std::string flag;  // "--vary" / "--find-min" / "--find-max"
};

// Splits on commas outside brackets, braces and quotes: `[a, b],c` is two values.
std::vector<std::string> SplitTopLevel(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  int depth = 0;
  char quote = 0;
  for (char c : s) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{' || c == '(') {
      ++depth;
    } else if ((c == ']' || c == '}' || c == ')') && depth > 0) {
      --depth;
    } else if (c == sep && depth == 0) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  for (std::string& v : out) {
    const auto b = v.find_first_not_of(' ');
    const auto e = v.find_last_not_of(' ');
    v = b == std::string::npos ? "" : v.substr(b, e - b + 1);
  }
  return out;
}

std::optional<double> Number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool IsInteger(const std::string& s) {
  return !s.empty() && s.find_first_not_of("-0123456789") == std::string::npos;
}

std::string Format(double v) {
  std::ostringstream o;
  o << std::setprecision(12) << v;
  return o.str();
}

// FROM:TO[:STEP] as values: integers, numbers, or durations (then written in seconds).
StatusOr<std::vector<std::string>> Range(const std::vector<std::string>& parts, bool step_required,
                                         const std::string& what) {
  const bool integer =
      IsInteger(parts[0]) && IsInteger(parts[1]) && (parts.size() < 3 || IsInteger(parts[2]));
  auto read = [](const std::string& s) -> std::optional<double> {
    if (auto n = Number(s)) return n;
    return sim::ParseDuration(s);  // "10ms"
  };
  const bool durations = !Number(parts[0]) || !Number(parts[1]);
  const auto from = read(parts[0]), to = read(parts[1]);
  if (parts.size() < 3 && (step_required || !integer)) {
    return Status::InvalidArgument(what + ": a range of real values needs a STEP (FROM:TO:STEP)");
  }
  const auto step = parts.size() == 3 ? read(parts[2]) : std::optional<double>(1.0);
  if (!from || !to || !step || !std::isfinite(*from) || !std::isfinite(*to) ||
      !std::isfinite(*step) || *step <= 0 || *to < *from) {
    return Status::InvalidArgument(what + ": expected FROM:TO:STEP with FROM <= TO and STEP > 0");
  }
  const double count = std::floor((*to - *from) / *step + 1e-9) + 1;
  if (count > 10000) return Status::InvalidArgument(what + ": more than 10000 values");
  std::vector<std::string> out;
  for (int i = 0; i < static_cast<int>(count); ++i) {
    const double v = *from + i * *step;
    out.push_back(integer ? std::to_string(static_cast<long long>(std::llround(v)))
                          : Format(v) + (durations ? "s" : ""));
  }
  return out;
}

StatusOr<Axis> ParseAxis(const std::string& flag, const std::string& spec) {
  const auto eq = spec.find('=');
  Axis axis{spec.substr(0, eq), {}, flag};
  const std::string rhs = spec.substr(eq + 1);
  const std::string what = flag + " " + spec;
  const std::vector<std::string> commas = SplitTopLevel(rhs, ',');
  const std::vector<std::string> colons = SplitTopLevel(rhs, ':');
  const bool range = commas.size() == 1 && (colons.size() == 2 || colons.size() == 3);
  if (flag != "--vary" || range) {
    if (!range) return Status::InvalidArgument(what + ": expected PATH=FROM:TO[:STEP]");
    auto values = Range(colons, flag == "--vary", what);
    if (!values.ok()) return values.status();
    axis.values = std::move(*values);
  } else {
    for (const std::string& v : commas) {
      if (v.empty()) return Status::InvalidArgument(what + ": an empty value");
      axis.values.push_back(v);
    }
  }
  return axis;
}

// A value as JSON: a number when it reads as one, else the text.
json Typed(const std::string& v) {
  if (IsInteger(v) && v.size() < 18) return std::stoll(v);
  if (auto n = Number(v)) return *n;
  return v;
}

std::string Ref(const ObjectRef& r) { return r.namespace_ + "/" + r.name; }

json EdgesJson(const sim::SimulationResult& r) {
  json out = json::array();
  for (std::size_t e = 0; e < r.edges.size(); ++e) {
    const sim::EdgeInfo& info = r.edges[e];
    if (info.side == sim::EdgeSide::kSplit) continue;
    const sim::MetricIntervals& m = r.edge_metrics[e];
    const double total = m.success.mean + m.failure.mean;
    const bool client = info.side == sim::EdgeSide::kClient;
    out.push_back({{"from", Ref(client ? info.resource : info.peer)},
                   {"to", Ref(client ? info.peer : info.resource)},
                   {"side", client ? "client" : "server"},
                   {"requests_per_second", m.rps.mean},
                   {"mean_response_latency", m.mean.mean},
                   {"p50_response_latency", m.p50.mean},
                   {"p90_response_latency", m.p90.mean},
                   {"p99_response_latency", m.p99.mean},
                   {"success_rate", total > 0 ? json(m.success.mean / total) : json(nullptr)}});
  }
  return out;
}

json NodesJson(const sim::SimulationResult& r) {
  json out = json::array();
  for (std::size_t n = 0; n < r.nodes.size(); ++n) {
    const sim::NodeIntervals& v = r.node_metrics[n];
    out.push_back({{"workload", Ref(r.nodes[n].workload)},
                   {"replicas", r.nodes[n].replicas},
                   {"arrivals", v.arrivals.mean},
                   {"utilisation", v.utilisation.mean},
                   {"meanInSystem", v.mean_in_system.mean},
                   {"meanTimeInSystem", v.mean_time_in_system.mean},
                   {"throughput", v.throughput.mean},
                   {"blocking", v.blocking.mean}});
  }
  return out;
}

// Every SLO met (and there is at least one).
bool Meets(const json& point) {
  if (!point.contains("slos") || point["slos"].empty()) return false;
  for (const json& s : point["slos"]) {
    if (s["verdict"] != "met") return false;
  }
  return true;
}

// The sweep's base: overrides (with the sweep's default of 5 replications), scenario.
struct Base {
  std::vector<sim::Override> overrides;
  std::optional<sim::LoadedScenario> loaded;
  std::string profile;
  std::vector<sim::Override> extra;  // what the sweep adds to every point
};

}  // namespace

json PointToJson(const SweepPoint& p) {
  json o = json::array();
  for (const sim::Override& x : p.overrides) o.push_back({x.path, x.value, x.origin});
  return {{"values", p.values}, {"overrides", o}};
}

StatusOr<SweepPoint> PointFromJson(const json& j) {
  SweepPoint p;
  if (!j.is_object() || !j.contains("values") || !j.contains("overrides") ||
      !j["overrides"].is_array())
    return Status::InvalidArgument("not a sweep point");
  p.values = j["values"];
  for (const json& o : j["overrides"]) {
    if (!o.is_array() || o.size() != 3 || !o[0].is_string() || !o[1].is_string() ||
        !o[2].is_string())
      return Status::InvalidArgument("not a sweep point override");
    p.overrides.push_back(
        {o[0].get<std::string>(), o[1].get<std::string>(), o[2].get<std::string>()});
  }
  return p;
}

StatusOr<std::vector<json>> EvaluatePoints(const Request& req,
                                           const std::vector<SweepPoint>& points) {
  auto base = ScenarioOverrides(req);
  if (!base.ok()) return base.status();
  struct Loaded {
    sim::LoadedScenario scenario;
    sim::PreparedScenario prepared;
  };
  std::vector<std::unique_ptr<Loaded>> all;
  std::vector<sim::BatchRun> runs;
  sim::SimulationOptions batch;
  batch.jobs = req.jobs;
  batch.cancel = req.cancel;
  batch.max_memory = req.max_memory;
  if (!req.quiet) batch.progress = req.progress;
  for (const SweepPoint& p : points) {
    std::vector<sim::Override> overrides = *base;
    overrides.insert(overrides.end(), p.overrides.begin(), p.overrides.end());
    Outcome failed;
    auto loaded = LoadScenarioOf(req, overrides, &failed);
    if (!loaded) return Status::InvalidArgument(failed.messages.front());
    auto l = std::make_unique<Loaded>(Loaded{std::move(*loaded), {}});
    l->prepared = sim::PrepareScenario(&l->scenario, req.profile.value_or(""));
    if (l->prepared.simulator == nullptr) {
      std::string text;
      AddText(l->scenario.diagnostics, l->scenario.scenario_source, true, &text);
      return Status::InvalidArgument("the point " + p.values.dump() + " cannot run:\n" + text);
    }
    sim::SimulationOptions o;
    o.max_memory = req.max_memory;
    o.force = req.force;
    runs.push_back({l->prepared.simulator.get(), o});
    all.push_back(std::move(l));
  }
  const std::vector<sim::SimulationResult> results = sim::RunBatch(runs, batch);
  std::vector<json> out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const sim::SimulationResult& r = results[i];
    if (r.status.code() == StatusCode::kCancelled) return r.status;
    const std::vector<sim::Slo>& slos = all[i]->scenario.scenario.slos;
    json p = {{"values", points[i].values}};
    if (r.status.ok()) {
      p["slos"] = sim::SlosToJson(sim::EvaluateSlos(slos, r));
      p["edges"] = EdgesJson(r);
      p["nodes"] = NodesJson(r);
      p["status"] = "ok";
    } else {
      p["slos"] = sim::SlosToJson(sim::FailedSlos(slos, r.status.message()));
      p["edges"] = json::array();
      p["nodes"] = json::array();
      p["status"] = "failed";
      p["reason"] = r.status.message();
    }
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

// The grid: the cartesian product of the axes, the first axis outermost.
std::vector<SweepPoint> Grid(const std::vector<Axis>& axes) {
  std::vector<SweepPoint> out(1);
  for (const Axis& a : axes) {
    std::vector<SweepPoint> next;
    for (const SweepPoint& p : out) {
      for (const std::string& v : a.values) {
        SweepPoint q = p;
        q.values[a.path] = Typed(v);
        q.overrides.push_back({a.path, v, a.flag + " " + a.path + "=" + v});
        next.push_back(std::move(q));
      }
    }
    out = std::move(next);
  }
  return out;
}

// A sweep's progress across its batches of points (one for a grid, one per probe of a
// search): points done of the total, events and wall time since the sweep began. Points
// evaluated elsewhere (Dask) count when they come back; their events are not seen here.
class SweepProgress {
 public:
  SweepProgress(std::function<void(const sim::Progress&)> report, std::size_t total)
      : report_(std::move(report)), total_(std::max<std::size_t>(1, total)) {}
  bool active() const { return static_cast<bool>(report_); }
  // A report from the batch of `n` points now running.
  void Batch(const sim::Progress& p, std::size_t n) {
    events_now_ = events_before_ + p.events;
    Report(std::min(1.0, (static_cast<double>(done_) + p.fraction * static_cast<double>(n)) /
                             static_cast<double>(total_)),
           done_ + p.runs_done);
  }
  // `n` points finished.
  void Finished(std::size_t n) {
    done_ += n;
    events_before_ = events_now_;
    Report(std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)), done_);
  }
  // The sweep is over (a search may need fewer probes than its bound).
  void Done() {
    total_ = std::max<std::size_t>(1, done_);
    Report(1.0, done_);
  }

 private:
  void Report(double fraction, std::size_t done) const {
    if (!report_) return;
    sim::Progress q;
    q.fraction = fraction >= 1 && done < total_ ? 0.999 : fraction;
    q.runs_done = done;
    q.runs_total = total_;
    q.events = events_now_;
    q.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    report_(q);
  }
  std::function<void(const sim::Progress&)> report_;
  std::size_t total_, done_ = 0;
  std::uint64_t events_before_ = 0, events_now_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Runs points with the sweep's own additions (`extra`, such as its default replications)
// carried by every point, so an evaluator elsewhere (Dask) runs exactly what runs here.
StatusOr<std::vector<json>> Evaluate(const Request& req, std::vector<SweepPoint> points,
                                     const std::vector<sim::Override>& extra,
                                     SweepProgress* progress) {
  for (SweepPoint& p : points) p.overrides.insert(p.overrides.begin(), extra.begin(), extra.end());
  const std::size_t n = points.size();
  Request local = req;
  local.progress = nullptr;
  if (progress->active()) {
    local.progress = [progress, n](const sim::Progress& p) { progress->Batch(p, n); };
  }
  StatusOr<std::vector<json>> out =
      req.evaluator ? req.evaluator(points) : EvaluatePoints(local, points);
  if (out.ok()) progress->Finished(n);
  return out;
}

// Bisection over the axis (monotone: more of it helps for min, hurts for max).
Status Search(const Request& req, const Axis& axis, bool min,
              const std::vector<sim::Override>& extra, SweepProgress* progress,
              std::vector<json>* points, json* search) {
  const std::size_t n = axis.values.size();
  std::map<std::size_t, bool> meets;
  auto probe = [&](std::size_t i) -> StatusOr<bool> {
    auto it = meets.find(i);
    if (it != meets.end()) return it->second;
    auto docs =
        Evaluate(req, Grid({Axis{axis.path, {axis.values[i]}, axis.flag}}), extra, progress);
    if (!docs.ok()) return docs.status();
    points->push_back((*docs)[0]);
    return meets[i] = Meets((*docs)[0]);
  };
  // `good_end` is the end of the range where the SLOs are most likely met.
  const std::size_t good_end = min ? n - 1 : 0, bad_end = min ? 0 : n - 1;
  (*search)["path"] = axis.path;
  (*search)["direction"] = min ? "min" : "max";
  auto at_good = probe(good_end);
  if (!at_good.ok()) return at_good.status();
  if (!*at_good) {
    (*search)["best"] = nullptr;
    (*search)["bestFailing"] = Typed(axis.values[good_end]);
    return Status::Ok();
  }
  auto at_bad = probe(bad_end);
  if (!at_bad.ok()) return at_bad.status();
  if (*at_bad) {
    (*search)["best"] = Typed(axis.values[bad_end]);
    (*search)["bestFailing"] = nullptr;
    return Status::Ok();
  }
  std::size_t good = good_end, bad = bad_end;  // invariant: meets(good), !meets(bad)
  while ((good > bad ? good - bad : bad - good) > 1) {
    const std::size_t mid = (good + bad) / 2;
    auto m = probe(mid);
    if (!m.ok()) return m.status();
    (*m ? good : bad) = mid;
  }
  (*search)["best"] = Typed(axis.values[good]);
  (*search)["bestFailing"] = Typed(axis.values[bad]);
  return Status::Ok();
}

std::string Cell(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string SloCell(const json& s) {
  std::ostringstream o;
  o << s["verdict"].get<std::string>();
  if (!s["value"].is_null()) {
    const double v = s["value"].get<double>();
    o << " " << std::setprecision(4)
      << (sim::IsLatencyMetric(s["metric"].get<std::string>()) ? v * 1000 : v)
      << (sim::IsLatencyMetric(s["metric"].get<std::string>()) ? "ms" : "");
  }
  return o.str();
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string SweepCsv(const json& doc) {
  std::vector<std::string> header;
  for (const json& v : doc["varied"]) header.push_back(v.get<std::string>());
  std::vector<std::string> slos, edges;
  const char* metrics[] = {"requests_per_second", "mean_response_latency", "p99_response_latency",
                           "success_rate"};
  for (const json& p : doc["points"]) {
    for (const json& s : p["slos"]) {
      if (std::find(slos.begin(), slos.end(), s["name"]) == slos.end()) slos.push_back(s["name"]);
    }
    for (const json& e : p["edges"]) {
      if (e["side"] != "client") continue;
      const std::string key = e["from"].get<std::string>() + "->" + e["to"].get<std::string>();
      if (std::find(edges.begin(), edges.end(), key) == edges.end()) edges.push_back(key);
    }
  }
  for (const auto& s : slos) {
    header.push_back(s + ".verdict");
    header.push_back(s + ".value");
  }
  for (const auto& e : edges) {
    for (const char* m : metrics) header.push_back(e + "." + m);
  }
  std::string out;
  for (std::size_t i = 0; i < header.size(); ++i) out += (i ? "," : "") + CsvField(header[i]);
  out += "\n";
  for (const json& p : doc["points"]) {
    std::vector<std::string> row;
    for (const json& v : doc["varied"]) row.push_back(Cell(p["values"][v.get<std::string>()]));
    for (const auto& name : slos) {
      std::string verdict, value;
      for (const json& s : p["slos"]) {
        if (s["name"] != name) continue;
        verdict = s["verdict"];
        value = s["value"].is_null() ? "" : s["value"].dump();
      }
      row.push_back(verdict);
      row.push_back(value);
    }
    for (const auto& key : edges) {
      const json* edge = nullptr;
      for (const json& e : p["edges"]) {
        if (e["side"] == "client" &&
            e["from"].get<std::string>() + "->" + e["to"].get<std::string>() == key)
          edge = &e;
      }
      for (const char* m : metrics) {
        row.push_back(edge == nullptr || (*edge)[m].is_null() ? "" : (*edge)[m].dump());
      }
    }
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + CsvField(row[i]);
    out += "\n";
  }
  return out;
}

std::string SweepText(const json& doc) {
  std::ostringstream o;
  o << "sweep of " << doc["scenario"]["name"].get<std::string>() << ": " << doc["points"].size()
    << " points x " << doc["replications"] << " replications, seed " << doc["seed"]
    << " (common random numbers)\n\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const json& v : doc["varied"]) header.push_back(v.get<std::string>());
  if (!doc["points"].empty()) {
    for (const json& s : doc["points"][0]["slos"]) header.push_back(s["name"]);
  }
  header.push_back("busiest workload");
  rows.push_back(header);
  for (const json& p : doc["points"]) {
    std::vector<std::string> row;
    for (const json& v : doc["varied"]) row.push_back(Cell(p["values"][v.get<std::string>()]));
    for (const json& s : p["slos"]) row.push_back(SloCell(s));
    std::string busiest = p.value("reason", "");
    double u = -1;
    for (const json& n : p["nodes"]) {
      if (n["utilisation"].get<double>() > u) {
        u = n["utilisation"];
        std::ostringstream b;
        b << n["workload"].get<std::string>() << " " << std::fixed << std::setprecision(0)
          << 100 * u << "%";
        busiest = b.str();
      }
    }
    row.push_back(busiest);
    rows.push_back(row);
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i] + (i + 1 < r.size() ? std::string(width[i] - r[i].size() + 2, ' ') : "");
    }
    o << line << "\n";
  }
  if (doc.contains("search")) {
    const json& s = doc["search"];
    const bool min = s["direction"] == "min";
    o << "\n";
    if (s["best"].is_null()) {
      o << "no value of " << s["path"].get<std::string>() << " in the range meets every SLO"
        << " (" << Cell(s["bestFailing"]) << " does not)\n";
    } else {
      o << (min ? "smallest " : "largest ") << s["path"].get<std::string>()
        << " meeting every SLO: " << Cell(s["best"]);
      if (!s["bestFailing"].is_null()) o << " (" << Cell(s["bestFailing"]) << " does not)";
      o << "\n";
    }
  }
  return o.str();
}

// The base scenario with the sweep's overrides, loaded once for its name, seed and SLOs.
StatusOr<Base> LoadBase(const Request* req, Outcome* failed) {
  Base base;
  auto overrides = ScenarioOverrides(*req);
  if (!overrides.ok()) return overrides.status();
  base.loaded = LoadScenarioOf(*req, *overrides, failed);
  if (!base.loaded) return Status::InvalidArgument("");
  sim::PreparedScenario prepared = sim::PrepareScenario(&*base.loaded, req->profile.value_or(""));
  if (prepared.simulator == nullptr) {
    AddText(base.loaded->diagnostics, base.loaded->scenario_source, true,
            &failed->diagnostics_text);
    failed->messages.push_back("the scenario has errors; nothing was simulated");
    failed->exit_code = kExitCannotRun;
    return Status::InvalidArgument("");
  }
  base.profile = prepared.profile;
  // Intervals need replications: a sweep of a one-replication scenario runs 5.
  bool explicit_replications = req->replications.has_value();
  for (const sim::Override& o : req->overrides) {
    explicit_replications =
        explicit_replications || o.path == "replications" || o.path == "spec.replications";
  }
  if (!explicit_replications && base.loaded->scenario.replications == 1) {
    base.extra.push_back({"replications", "5",
                          "sweep default (5 replications when the "
                          "scenario has 1)"});
    base.loaded->scenario.replications = 5;
  }
  return base;
}

}  // namespace

Outcome RunSweep(const Request& request) {
  if (!request.dask.empty()) {
    return CannotRun(
        "--dask runs on a Dask cluster from Python: use `python3 -m meshproof sweep ... --dask " +
        request.dask + "` (the meshproof binary runs the points on this machine's cores)");
  }
  Request req = request;
  std::vector<Axis> axes;
  for (const std::string& v : req.vary) {
    auto axis = ParseAxis("--vary", v);
    if (!axis.ok()) return CannotRun(axis.status().message());
    axes.push_back(std::move(*axis));
  }
  const bool min = !req.find_min.empty();
  std::optional<Axis> searched;
  if (min || !req.find_max.empty()) {
    auto axis = ParseAxis(min ? "--find-min" : "--find-max", min ? req.find_min : req.find_max);
    if (!axis.ok()) return CannotRun(axis.status().message());
    searched = std::move(*axis);
  }
  Outcome out;
  auto base = LoadBase(&req, &out);
  if (!base.ok()) return out.exit_code == kExitCannotRun ? out : CannotRun(base.status().message());
  const sim::Scenario& sc = base->loaded->scenario;
  if (searched && sc.slos.empty()) {
    return CannotRun(searched->flag + " needs SLOs to meet: the scenario has no spec.slos");
  }
  const sim::RenderContext ctx = sim::ContextFor(
      *base->loaded, req.scenario_text ? "<scenario>" : req.paths[0], base->profile);
  json doc = sim::RunEnvelope(ctx, sc.seed, sc.replications);
  doc["varied"] = json::array();
  std::vector<json> points;
  if (searched) {
    doc["varied"].push_back(searched->path);
    json search;
    // Bisection probes both ends, then halves the gaps between them.
    const auto n = static_cast<double>(searched->values.size());
    SweepProgress progress(
        req.quiet ? nullptr : req.progress,
        2 + static_cast<std::size_t>(std::ceil(std::log2(std::max(1.0, n - 1)))));
    Status s = Search(req, *searched, min, base->extra, &progress, &points, &search);
    progress.Done();
    if (!s.ok()) return RunFailed(s);
    std::sort(points.begin(), points.end(), [&](const json& a, const json& b) {
      const std::string& p = searched->path;
      return a["values"][p].is_number() && b["values"][p].is_number()
                 ? a["values"][p].get<double>() < b["values"][p].get<double>()
                 : a["values"][p].dump() < b["values"][p].dump();
    });
    doc["search"] = search;
    if (search["best"].is_null()) out.exit_code = kExitFindings;
  } else {
    for (const Axis& a : axes) doc["varied"].push_back(a.path);
    std::vector<SweepPoint> grid = Grid(axes);
    SweepProgress progress(req.quiet ? nullptr : req.progress, grid.size());
    auto docs = Evaluate(req, std::move(grid), base->extra, &progress);
    progress.Done();
    if (!docs.ok()) return RunFailed(docs.status());
    points = std::move(*docs);
    const bool any = std::any_of(points.begin(), points.end(), Meets);
    if (!sc.slos.empty() && !any) out.exit_code = kExitFindings;
  }
  doc["points"] = points;
  out.document = doc;
  if (req.format == OutputFormat::kJson) {
    out.output = JsonText(&out.document);
  } else if (req.format == OutputFormat::kCsv) {
    out.output = SweepCsv(out.document);
  } else {
    out.output = SweepText(out.document);
  }
  return out;
}

}  // namespace meshproof::app
