#include "meshproof/simulator/render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

#include <nlohmann/json.hpp>

#include "meshproof/engine/render.h"

namespace meshproof::sim {
namespace {

using nlohmann::json;

std::string Seconds(double s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9gs", s);
  return buf;
}

// Simulated time as an RFC 3339 timestamp from the Unix epoch: deterministic, and shaped
// like the `timestamp` of a real TrafficMetrics.
std::string Timestamp(double t) {
  const auto whole = static_cast<std::time_t>(std::floor(t));
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  const auto ms = static_cast<int>(std::lround((t - static_cast<double>(whole)) * 1000));
  if (ms > 0 && ms < 1000) {
    std::snprintf(buf, sizeof buf, ".%03d", ms);
    out += buf;
  }
  return out + "Z";
}

json Ref(const ObjectRef& r) {
  return {{"kind", r.kind}, {"namespace", r.namespace_}, {"name", r.name}};
}

std::string Plural(const std::string& kind) {
  std::string k;
  for (char c : kind) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k + "s";
}

json Metric(const char* name, const char* unit, const Interval& iv, double scale, bool with_ci) {
  json m = {{"name", name}};
  if (unit != nullptr) m["unit"] = unit;
  m["value"] = MilliQuantity(iv.mean * scale);
  if (with_ci) {
    m["ci95"] = {{"low", MilliQuantity(std::max(0.0, iv.low()) * scale)},
                 {"high", MilliQuantity(iv.high() * scale)}};
  }
  return m;
}

std::string ResourcePath(const ObjectRef& r) {
  return "/apis/metrics.smi-spec.io/v1alpha1/namespaces/" + r.namespace_ + "/" + Plural(r.kind) +
         "/" + r.name;
}

// One TrafficMetrics in the SMI metrics API's shape (smi-metrics README examples). The
// spec pairs direction and side: `from` + `server` (traffic `resource` received from
// `edge.resource`, server items and split-backend items) and `to` + `client` (traffic
// `resource` sent to `edge.resource`: meshproof's client edges, identity -> Service, a
// documented extension like `backend` on split items and `ci95` on values).
json Item(const EdgeInfo& e, const MetricIntervals& v, double end, double window, bool with_ci) {
  json item = {{"kind", "TrafficMetrics"}, {"apiVersion", "metrics.smi-spec.io/v1alpha1"}};
  item["metadata"] = {{"name", e.resource.name},
                      {"namespace", e.resource.namespace_},
                      {"selfLink", ResourcePath(e.resource) + "/edges"},
                      {"creationTimestamp", Timestamp(end)}};
  item["timestamp"] = Timestamp(end);
  item["window"] = Seconds(window);
  item["resource"] = Ref(e.resource);
  switch (e.side) {
    case EdgeSide::kServer:
      item["edge"] = {{"direction", "from"}, {"side", "server"}, {"resource", Ref(e.peer)}};
      break;
    case EdgeSide::kClient:
      item["edge"] = {{"direction", "to"}, {"side", "client"}, {"resource", Ref(e.peer)}};
      break;
    case EdgeSide::kSplit:
      item["edge"] = {{"direction", "from"}, {"side", "server"}, {"resource", Ref(e.peer)}};
      item["backend"] = {{"apex", e.apex}, {"name", e.backend}, {"weight", e.weight}};
      break;
  }
  item["metrics"] = json::array({
      Metric("p99_response_latency", "ms", v.p99, 1000, with_ci),
      Metric("p90_response_latency", "ms", v.p90, 1000, with_ci),
      Metric("p50_response_latency", "ms", v.p50, 1000, with_ci),
      Metric("success_count", nullptr, v.success, 1, with_ci),
      Metric("failure_count", nullptr, v.failure, 1, with_ci),
      Metric("mean_response_latency", "ms", v.mean, 1000, with_ci),
      Metric("denied_count", nullptr, v.denied, 1, with_ci),
      Metric("requests_per_second", nullptr, v.rps, 1, with_ci),
  });
  return item;
}

// A TrafficMetricsList as the API returns one: list-level `resource` (what the list is
// about: the namespace all items share, else {} = the whole mesh, as the spec's partial
// references allow) and `metadata.selfLink`, then the items.
json List(json items) {
  std::string ns;
  bool one_namespace = !items.empty();
  for (const json& it : items) {
    const std::string& n = it["resource"]["namespace"].get_ref<const std::string&>();
    if (ns.empty()) ns = n;
    if (n != ns) one_namespace = false;
  }
  std::string self = "/apis/metrics.smi-spec.io/v1alpha1";
  json resource = json::object();
  if (one_namespace) {
    self += "/namespaces/" + ns;
    resource["namespace"] = ns;
  }
  return {{"kind", "TrafficMetricsList"},
          {"apiVersion", "metrics.smi-spec.io/v1alpha1"},
          {"metadata", {{"selfLink", self}}},
          {"resource", std::move(resource)},
          {"items", std::move(items)}};
}

bool Seen(const MetricIntervals& v) { return v.success.mean + v.failure.mean > 0; }

std::string EdgeLabel(const EdgeInfo& e) {
  switch (e.side) {
    case EdgeSide::kServer:
      return e.peer.namespace_ + "/" + e.peer.name + " -> " + e.resource.kind + " " +
             e.resource.namespace_ + "/" + e.resource.name;
    case EdgeSide::kClient:
      return e.resource.namespace_ + "/" + e.resource.name + " -> Service " + e.peer.namespace_ +
             "/" + e.peer.name;
    case EdgeSide::kSplit:
      return e.peer.namespace_ + "/" + e.peer.name + " -> " + e.resource.namespace_ + "/" +
             e.backend + " (split " + e.resource.name + ", weight " + e.weight + ")";
  }
  return "";
}

}  // namespace

std::string MilliQuantity(double v) {
  if (!std::isfinite(v)) return "0";
  const auto milli = static_cast<long long>(v * 1000);
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

RenderContext ContextFor(const LoadedScenario& loaded, const std::string& file,
                         const std::string& profile) {
  return RenderContext{loaded.scenario.name, file, loaded.scenario.mesh, profile,
                       loaded.scenario.permissive};
}

json RunEnvelope(const RenderContext& ctx, std::uint64_t seed, int replications) {
  json out;
  out["meshproof_version"] = MeshproofVersion();
  out["profile"] = ctx.profile;
  out["permissive"] = ctx.permissive;
  out["scenario"] = {{"name", ctx.scenario_name}, {"file", ctx.scenario_file}};
  out["inputs"] = ctx.inputs;
  out["seed"] = seed;
  out["replications"] = replications;
  return out;
}

json SimulationToJson(const SimulationResult& r, const RenderContext& ctx) {
  const bool with_ci = r.replications > 1;
  json out = RunEnvelope(ctx, r.seed, r.replications);
  out["duration"] = Seconds(r.duration);
  out["warmup"] = Seconds(r.warmup);
  out["window"] = Seconds(r.window);
  json items = json::array();
  for (std::size_t e = 0; e < r.edges.size(); ++e) {
    if (!Seen(r.edge_metrics[e])) continue;
    items.push_back(
        Item(r.edges[e], r.edge_metrics[e], r.duration, r.duration - r.warmup, with_ci));
  }
  out["metrics"] = List(std::move(items));
  json windows = json::array();
  for (std::size_t e = 0; e < r.edges.size(); ++e) {
    if (!Seen(r.edge_metrics[e])) continue;
    for (std::size_t w = 0; w < r.window_metrics[e].size(); ++w) {
      const double start = static_cast<double>(w) * r.window;
      const double end = std::min(r.duration, start + r.window);
      windows.push_back(Item(r.edges[e], r.window_metrics[e][w], end, end - start, with_ci));
    }
  }
  out["windows"] = List(std::move(windows));
  json nodes = json::array();
  for (std::size_t n = 0; n < r.nodes.size(); ++n) {
    const NodeIntervals& v = r.node_metrics[n];
    if (v.arrivals.mean <= 0) continue;
    const NodeInfo& info = r.nodes[n];
    json node = {{"resource", Ref(info.workload)},
                 {"replicas", info.replicas},
                 {"concurrency", info.concurrency},
                 {"discipline", info.discipline == Discipline::kFifo ? "fifo" : "ps"},
                 {"serviceTime", info.service_time}};
    if (info.queue_capacity) node["queueCapacity"] = *info.queue_capacity;
    auto put = [&](const char* name, const Interval& iv) {
      json x = {{"mean", iv.mean}};
      if (with_ci) x["ci95"] = {iv.low(), iv.high()};
      node[name] = x;
    };
    put("arrivals", v.arrivals);
    put("blocked", v.blocked);
    put("throughput", v.throughput);
    put("blockingProbability", v.blocking);
    put("meanInSystem", v.mean_in_system);
    put("meanTimeInSystemSeconds", v.mean_time_in_system);
    put("utilisation", v.utilisation);
    nodes.push_back(std::move(node));
  }
  out["nodes"] = std::move(nodes);
  out["events"] = r.events;
  return out;
}

std::string SimulationToText(const SimulationResult& r, const RenderContext& ctx) {
  std::ostringstream os;
  char buf[1024];
  os << "scenario " << ctx.scenario_name << ": " << r.replications << " replication"
     << (r.replications == 1 ? "" : "s") << " x " << Seconds(r.duration) << " (warm-up "
     << Seconds(r.warmup) << "), seed " << r.seed << ", profile "
     << ProfileLabel(ctx.profile, ctx.permissive) << "\n";
  if (r.replications > 1)
    os << "values are means across replications; +- is the 95% confidence half-width\n";
  os << "\n";
  int width = 4;
  for (std::size_t e = 0; e < r.edges.size(); ++e) {
    if (Seen(r.edge_metrics[e]))
      width = std::max(width, static_cast<int>(EdgeLabel(r.edges[e]).size()));
  }
  std::snprintf(buf, sizeof buf, "%-*s %-6s %9s %10s %9s %8s %9s %9s %9s %16s\n", width, "EDGE",
                "SIDE", "RPS", "SUCCESS", "FAILURE", "DENIED", "MEAN ms", "P50 ms", "P90 ms",
                "P99 ms");
  os << buf;
  for (std::size_t e = 0; e < r.edges.size(); ++e) {
    const MetricIntervals& v = r.edge_metrics[e];
    if (!Seen(v)) continue;
    const EdgeInfo& info = r.edges[e];
    const char* side = info.side == EdgeSide::kServer   ? "server"
                       : info.side == EdgeSide::kClient ? "client"
                                                        : "split";
    char p99[64];
    if (r.replications > 1) {
      std::snprintf(p99, sizeof p99, "%.2f +-%.2f", v.p99.mean * 1000, v.p99.half_width * 1000);
    } else {
      std::snprintf(p99, sizeof p99, "%.2f", v.p99.mean * 1000);
    }
    const std::string label = EdgeLabel(info);
    std::snprintf(buf, sizeof buf, "%-*s %-6s %9.2f %10.0f %9.0f %8.0f %9.2f %9.2f %9.2f %16s\n",
                  width, label.c_str(), side, v.rps.mean, v.success.mean, v.failure.mean,
                  v.denied.mean, v.mean.mean * 1000, v.p50.mean * 1000, v.p90.mean * 1000, p99);
    os << buf;
  }
  bool header = false;
  for (std::size_t n = 0; n < r.nodes.size(); ++n) {
    const NodeIntervals& v = r.node_metrics[n];
    if (v.arrivals.mean <= 0) continue;
    if (!header) {
      std::snprintf(buf, sizeof buf, "\n%-50s %8s %10s %8s %10s %10s %9s\n", "WORKLOAD", "REPLICAS",
                    "THROUGHPUT", "UTIL", "L (MEAN N)", "W ms", "BLOCKED");
      os << buf;
      header = true;
    }
    const NodeInfo& info = r.nodes[n];
    const std::string name =
        info.workload.kind + " " + info.workload.namespace_ + "/" + info.workload.name;
    std::snprintf(buf, sizeof buf, "%-50s %8d %10.2f %7.1f%% %10.3f %10.3f %8.2f%%\n", name.c_str(),
                  info.replicas, v.throughput.mean, v.utilisation.mean * 100, v.mean_in_system.mean,
                  v.mean_time_in_system.mean * 1000, v.blocking.mean * 100);
    os << buf;
  }
  return os.str();
}

nlohmann::json SlosToJson(const std::vector<SloResult>& slos) {
  nlohmann::json out = nlohmann::json::array();
  for (const SloResult& r : slos) {
    nlohmann::json j;
    j["name"] = r.name;
    j["verdict"] = SloVerdictName(r.verdict);
    j["value"] = r.value ? nlohmann::json(*r.value) : nlohmann::json(nullptr);
    j["ci95"] =
        r.ci95 ? nlohmann::json::array({r.ci95->first, r.ci95->second}) : nlohmann::json(nullptr);
    j["bound"] = r.bound;
    j["direction"] = r.is_max ? "max" : "min";
    j["metric"] = r.metric;
    j["edge"] = r.edge;
    if (!r.note.empty()) j["note"] = r.note;
    out.push_back(std::move(j));
  }
  return out;
}

std::string SlosToText(const std::vector<SloResult>& slos) {
  if (slos.empty()) return "";
  std::ostringstream o;
  o << "\nSLOs\n";
  auto show = [](const std::string& metric, double v) {
    std::ostringstream x;
    if (IsLatencyMetric(metric)) {
      x.precision(4);
      x << v * 1000 << "ms";
    } else {
      x.precision(6);
      x << v;
    }
    return x.str();
  };
  for (const SloResult& r : slos) {
    o << "  " << SloVerdictName(r.verdict)
      << std::string(10 - std::string(SloVerdictName(r.verdict)).size(), ' ') << r.name << ": "
      << r.metric << " on " << r.edge << " "
      << (r.value ? show(r.metric, *r.value) : std::string("(no data)"));
    if (r.ci95)
      o << " [" << show(r.metric, r.ci95->first) << ", " << show(r.metric, r.ci95->second) << "]";
    o << (r.is_max ? " <= " : " >= ") << show(r.metric, r.bound);
    if (!r.note.empty()) o << "  (" << r.note << ")";
    o << "\n";
  }
  return o.str();
}

}  // namespace meshproof::sim
