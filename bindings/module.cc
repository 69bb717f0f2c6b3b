// module.cc: the `meshproof._core` extension. Each def maps one public call to a
// snake_case name; results come back as plain Python data (dicts, lists), never as live
// engine objects, so notebooks can hand them straight to pandas.
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "meshproof/engine/config.h"
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

namespace py = pybind11;

namespace meshproof::python {
namespace {

// nlohmann::json -> Python objects (the JSON shapes are the contract; see product-spec.md).
py::object ToPython(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<long long>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<unsigned long long>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& e : j) l.append(ToPython(e));
      return l;
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[py::str(k)] = ToPython(v);
      return d;
    }
    default:
      return py::none();
  }
}

meshproof::sim::SimulationOptions Options(std::optional<std::uint64_t> seed,
                                          std::optional<int> replications,
                                          std::optional<double> duration, int jobs) {
  meshproof::sim::SimulationOptions o;
  o.seed = seed;
  o.replications = replications;
  o.duration = duration;
  o.jobs = jobs;
  return o;
}

// Loads a scenario file without the GIL and hands it to `run`, which returns the result as
// JSON or appends the problems to report; any problem raises ValueError.
template <typename Run>
py::object RunScenario(const std::string& scenario, Run&& run) {
  nlohmann::json out;
  {
    py::gil_scoped_release release;
    meshproof::sim::LoadedScenario loaded = meshproof::sim::LoadScenario(scenario);
    std::string problems;
    for (const std::string& f : loaded.FailureMessages()) problems += f + "\n";
    if (problems.empty()) out = run(loaded, &problems);
    if (!problems.empty()) throw std::invalid_argument(problems);
  }
  return ToPython(out);
}

ProfileId ProfileOrThrow(const std::string& name) {
  auto p = ParseProfileName(name);
  if (!p)
    throw std::invalid_argument("profile must be spec, osm, traefik or linkerd, not '" + name +
                                "'");
  return *p;
}

// A loaded mesh: immutable after load.
class Mesh {
 public:
  explicit Mesh(LoadResult r) : r_(std::make_shared<LoadResult>(std::move(r))) {}

  // Every finding of `meshproof verify` under `profile`, with `config` (a .meshproof.yaml
  // path) applied when given.
  py::list Verify(const std::string& profile, const std::optional<std::string>& config) const {
    VerifyOptions vo;
    vo.profile = ProfileOrThrow(profile);
    if (config) {
      auto c = LoadConfig(*config);
      if (!c.ok()) throw std::invalid_argument(c.status().message());
      vo.config = std::move(*c);
      if (vo.config.profile) vo.profile = ProfileOrThrow(*vo.config.profile);
    }
    Diagnostics d;
    {
      py::gil_scoped_release release;
      d = meshproof::Verify(*r_, vo);
    }
    py::list out;
    for (const Diagnostic& x : d.items()) out.append(ToPython(DiagnosticToJson(x, r_->sources)));
    return out;
  }

  py::object Reach(const std::string& profile, bool include_deny) const {
    RouteGraph g = CompileGraph(r_->model, GetProfile(ProfileOrThrow(profile)));
    return ToPython(ReachToJson(g, ReachMatrix(g, include_deny)));
  }

  py::object Query(const std::string& source, const std::optional<std::string>& to,
                   const std::optional<std::string>& to_identity, std::optional<int> port,
                   std::optional<std::string> method, std::optional<std::string> path,
                   const std::map<std::string, std::string>& headers, bool exact_headers,
                   const std::string& profile) const {
    if (to.has_value() == to_identity.has_value()) {
      throw std::invalid_argument(
          "give exactly one of to= (ns/service) or to_identity= (ns/serviceaccount)");
    }
    QueryRequest q;
    q.from = source;
    q.to = to.value_or("");
    q.to_identity = to_identity.value_or("");
    q.port = port;
    q.method = std::move(method);
    q.path = std::move(path);
    q.headers.assign(headers.begin(), headers.end());
    q.exact_headers = exact_headers;
    RouteGraph g = CompileGraph(r_->model, GetProfile(ProfileOrThrow(profile)));
    return ToPython(QueryAnswerToJson(meshproof::Query(g, q)));
  }
  py::object Model() const { return ToPython(ModelToJson(r_->model, r_->sources)); }
  py::dict Summary() const {
    py::dict s;
    s["objects"] = r_->model.ObjectCount();
    py::dict skipped;
    for (const auto& [k, n] : r_->model.skipped) skipped[py::str(k)] = n;
    s["skipped"] = skipped;
    s["files"] = r_->files_read;
    s["documents"] = r_->documents;
    return s;
  }
  std::vector<std::string> Failures() const {
    std::vector<std::string> out;
    for (const Status& s : r_->failures) out.push_back(s.message());
    return out;
  }
  std::string Text() const {
    std::string out;
    for (const Diagnostic& d : r_->diagnostics.items()) out += RenderDiagnosticText(d, r_->sources);
    return out;
  }

 private:
  std::shared_ptr<const LoadResult> r_;
};

}  // namespace
}  // namespace meshproof::python

PYBIND11_MODULE(_core, m) {
  using meshproof::python::Mesh;
  m.doc() = "meshproof: prove and simulate SMI policy (C++ core)";
  m.attr("__version__") = meshproof::MeshproofVersion();

  // Operational failures (unreadable paths) surface as LoadError, an OSError.
  static py::exception<std::runtime_error> load_error(m, "LoadError", PyExc_OSError);

  py::class_<Mesh>(m, "Mesh", "Manifests loaded into meshproof's typed model.")
      .def("verify", &Mesh::Verify, py::arg("profile") = "spec", py::arg("config") = py::none(),
           "Every finding of `meshproof verify` as a dict (code, severity, message, resource, "
           "location, related, witness), sorted by location. `config` is a .meshproof.yaml path.")
      .def("reach", &Mesh::Reach, py::arg("profile") = "spec", py::arg("include_deny") = false,
           "The reachability matrix: one dict per (source identity, destination Service, port) "
           "with verdict allow|partial|deny, deniedShare and the receiving identities.")
      .def("query", &Mesh::Query, py::arg("source"), py::arg("to") = py::none(),
           py::arg("to_identity") = py::none(), py::arg("port") = py::none(),
           py::arg("method") = py::none(), py::arg("path") = py::none(),
           py::arg("headers") = std::map<std::string, std::string>{},
           py::arg("exact_headers") = false, py::arg("profile") = "spec",
           "May `source` (ns/serviceaccount) send this request? Fields left out are open. Returns "
           "{verdict, deniedShare, witness, ports: [{port, verdict, because, blocked}]}.")
      .def("model", &Mesh::Model, "The typed model as nested dicts (as `meshproof model`).")
      .def_property_readonly(
          "summary", &Mesh::Summary,
          "What was loaded: objects, files, documents, skipped kinds (findings: verify()).")
      .def_property_readonly("failures", &Mesh::Failures,
                             "Paths that could not be read (empty unless strict=False).")
      .def("text", &Mesh::Text, "The findings rendered as `meshproof verify` prints them.");

  m.def(
      "load",
      [](const std::vector<std::string>& paths, const std::string& ns, bool strict) {
        meshproof::LoadOptions o;
        o.default_namespace = ns;
        meshproof::LoadResult r;
        {
          py::gil_scoped_release release;  // pure C++; lets other Python threads run
          r = meshproof::LoadPaths(paths, o);
        }
        if (strict && !r.failures.empty()) {
          std::string msg;
          for (const auto& f : r.failures) msg += (msg.empty() ? "" : "; ") + f.message();
          throw std::runtime_error(msg);
        }
        return Mesh(std::move(r));
      },
      py::arg("paths"), py::arg("namespace") = "default", py::arg("strict") = true,
      "Loads files, folders (recursively) or '-' for stdin. Raises LoadError when a path "
      "cannot be read, unless strict=False (then see Mesh.failures). Bad manifests never "
      "raise: they become findings in Mesh.verify().");
  m.def(
      "diff",
      [](const std::vector<std::string>& base, const std::vector<std::string>& next,
         const std::string& profile, const std::string& ns) {
        meshproof::LoadOptions o;
        o.default_namespace = ns;
        meshproof::DiffOptions d;
        d.profile = meshproof::python::ProfileOrThrow(profile);
        meshproof::DiffResult r;
        {
          py::gil_scoped_release release;
          meshproof::LoadResult b = meshproof::LoadPaths(base, o);
          meshproof::LoadResult n = meshproof::LoadPaths(next, o);
          for (const auto* x : {&b, &n}) {
            if (!x->failures.empty()) throw std::runtime_error(x->failures[0].message());
          }
          r = meshproof::Diff(b, n, d);
        }
        return meshproof::python::ToPython(meshproof::DiffToJson(r));
      },
      py::arg("base"), py::arg("new"), py::arg("profile") = "spec",
      py::arg("namespace") = "default",
      "What changes from `base` to `new` (paths): {verdict: equal|more-permissive|less-permissive|"
      "incomparable, slices: [{source, destination, port, granted, revoked, grant, revoke}], "
      "shares, "
      "newFindings, fixedFindings, changedObjects}. Every witness was evaluated on both versions.");
  m.def(
      "load_string",
      [](const std::string& text, const std::string& name, const std::string& ns) {
        meshproof::LoadOptions o;
        o.default_namespace = ns;
        return Mesh(meshproof::LoadTexts({{name, text}}, o));
      },
      py::arg("text"), py::arg("name") = "<string>", py::arg("namespace") = "default",
      "Loads manifests from a string (for notebooks and tests).");

  m.def(
      "simulate",
      [](const std::string& scenario, std::optional<std::uint64_t> seed,
         std::optional<int> replications, std::optional<double> duration, int jobs,
         const std::string& profile) {
        return meshproof::python::RunScenario(
            scenario, [&](meshproof::sim::LoadedScenario& loaded, std::string* problems) {
              meshproof::sim::PreparedScenario prepared =
                  meshproof::sim::PrepareScenario(&loaded, profile);
              if (prepared.simulator == nullptr) {
                for (const auto& d : loaded.diagnostics.items()) {
                  *problems += meshproof::RenderDiagnosticText(d, loaded.scenario_source, false);
                }
                return nlohmann::json();
              }
              meshproof::sim::SimulationResult r = prepared.simulator->Run(
                  meshproof::python::Options(seed, replications, duration, jobs));
              return meshproof::sim::SimulationToJson(
                  r, ContextFor(loaded, scenario, prepared.profile));
            });
      },
      py::arg("scenario"), py::arg("seed") = py::none(), py::arg("replications") = py::none(),
      py::arg("duration") = py::none(), py::arg("jobs") = 0, py::arg("profile") = "",
      "Runs a scenario file (as `meshproof simulate --format json`): per-edge TrafficMetrics for "
      "the whole run and per window, per-workload queueing figures, 95% intervals across "
      "replications. Raises ValueError listing the scenario's problems (MP6001/MP6002).");

  m.def(
      "canary",
      [](const std::string& scenario, std::optional<std::uint64_t> seed,
         std::optional<int> replications, std::optional<double> horizon, int jobs,
         const std::string& profile) {
        return meshproof::python::RunScenario(scenario, [&](meshproof::sim::LoadedScenario& loaded,
                                                            std::string* problems) {
          auto prepared = meshproof::sim::PrepareCanary(&loaded, profile);
          if (!prepared->ok()) {
            for (const auto& d : prepared->diagnostics.items()) {
              if (d.severity == meshproof::Severity::kError) {
                *problems += meshproof::RenderDiagnosticText(d, loaded.mesh.sources, false);
              }
            }
            for (const auto& d : loaded.diagnostics.items()) {
              *problems += meshproof::RenderDiagnosticText(d, loaded.scenario_source, false);
            }
            if (problems->empty()) *problems = "the canary scenario could not be prepared";
            return nlohmann::json();
          }
          meshproof::sim::CanaryPrediction r = meshproof::sim::PredictCanary(
              *prepared, meshproof::python::Options(seed, replications, horizon, jobs));
          return meshproof::sim::CanaryToJson(r, ContextFor(loaded, scenario, prepared->profile));
        });
      },
      py::arg("scenario"), py::arg("seed") = py::none(), py::arg("replications") = py::none(),
      py::arg("horizon") = py::none(), py::arg("jobs") = 0, py::arg("profile") = "",
      "Predicts a Flagger canary rollout (as `meshproof canary --format json`): outcome "
      "probabilities with 95% intervals, time to decision, failed user and load-test requests, "
      "a typical run's timeline and events. Raises ValueError listing the problems "
      "(MP6001/MP6002, MP7001-MP7003).");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::runtime_error& e) {
      load_error(e.what());
    }
  });
}
