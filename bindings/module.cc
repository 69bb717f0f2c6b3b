// module.cc: the `meshproof._core` extension, a thin door over the application layer
// (app/). Python's keyword arguments become the same command line the CLI parses
// (bindings/python/meshproof/__init__.py builds it), so both doors share one flag table,
// one settings resolution and one set of renderers. Results come back as plain Python
// data (dicts, lists), never as live engine objects, so notebooks can hand them to pandas.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "meshproof/app/commands.h"
#include "meshproof/app/main.h"
#include "meshproof/app/run.h"
#include "meshproof/app/sweep.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/render.h"
#include "meshproof/simulator/simulation.h"

namespace py = pybind11;

namespace meshproof::python {
namespace {

// nlohmann::json -> Python objects (the JSON shapes are the contract; see
// docs/reference/product-spec.md).
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

app::Request ParseOrThrow(const std::vector<std::string>& argv) {
  auto r = app::ParseCommandLine(argv);
  if (!r.ok()) throw std::invalid_argument(r.status().message());
  return std::move(*r);
}

// (exit_code, document, output, messages): what the CLI would print, as data.
using RunResult = std::tuple<int, py::object, std::string, std::vector<std::string>>;

RunResult ToResult(const app::Outcome& o) {
  std::vector<std::string> messages;
  if (!o.diagnostics_text.empty()) messages.push_back(o.diagnostics_text);
  messages.insert(messages.end(), o.messages.begin(), o.messages.end());
  return {o.exit_code, ToPython(o.document), o.output, messages};
}

// Runs `req` on a worker thread while this (Python's) thread waits with the GIL released,
// taking it back every 100 ms to call `progress` and to let Python run its signal handlers:
// Ctrl-C in a notebook stops the simulation within a second (the cancel flag) and raises
// KeyboardInterrupt here, with nothing returned.
app::Outcome RunInterruptibly(app::Request req, const py::object& progress,
                              std::shared_ptr<std::atomic<bool>> cancel) {
  // The latest report, handed from the worker thread to this one.
  struct Latest {
    std::mutex mu;
    std::optional<sim::Progress> progress;
  };
  auto latest = std::make_shared<Latest>();
  req.cancel = cancel.get();
  if (!progress.is_none()) {
    req.progress = [latest](const sim::Progress& p) {
      std::lock_guard<std::mutex> lock(latest->mu);
      latest->progress = p;
    };
  }
  std::future<app::Outcome> done =
      std::async(std::launch::async, [r = std::move(req)] { return app::Run(r); });
  sim::Progress shown;
  shown.fraction = -1;
  for (;;) {
    std::future_status st;
    {
      py::gil_scoped_release release;
      st = done.wait_for(std::chrono::milliseconds(100));
    }
    if (PyErr_CheckSignals() != 0) {
      cancel->store(true);
      {
        py::gil_scoped_release release;
        done.wait();
      }
      throw py::error_already_set();  // with the GIL: it takes Python's pending exception
    }
    std::optional<sim::Progress> now;
    {
      std::lock_guard<std::mutex> lock(latest->mu);
      now = std::exchange(latest->progress, std::nullopt);
    }
    if (now && (now->fraction != shown.fraction || now->runs_done != shown.runs_done)) {
      shown = *now;
      py::dict info;
      info["fraction"] = now->fraction;
      info["points_done"] = now->runs_done;
      info["points_total"] = now->runs_total;
      info["events"] = now->events;
      info["events_per_second"] = now->events_per_second();
      info["elapsed_seconds"] = now->elapsed_seconds;
      progress(info);
    }
    if (st == std::future_status::ready) return done.get();
  }
}

app::Request WithScenarioText(app::Request req, const std::optional<std::string>& text) {
  if (text) req.scenario_text = *text;
  return req;
}

// A Python callable `evaluate(points_json: list[str], cancelled) -> list[str]` as the
// sweep's point evaluator (Dask). Called from the worker thread, with the GIL taken.
app::PointEvaluator PythonEvaluator(py::object evaluate, const std::atomic<bool>* cancel) {
  return [evaluate, cancel](
             const std::vector<app::SweepPoint>& points) -> StatusOr<std::vector<nlohmann::json>> {
    py::gil_scoped_acquire gil;
    try {
      std::vector<std::string> in;
      for (const auto& p : points) in.push_back(app::PointToJson(p).dump());
      py::cpp_function cancelled([cancel] { return cancel != nullptr && cancel->load(); });
      const auto out = evaluate(in, cancelled).cast<std::vector<std::string>>();
      std::vector<nlohmann::json> docs;
      for (const auto& o : out) docs.push_back(nlohmann::json::parse(o));
      if (docs.size() != points.size()) return Status::Internal("the evaluator lost points");
      return docs;
    } catch (py::error_already_set& e) {
      if (cancel != nullptr && cancel->load()) return Status::Cancelled("interrupted");
      return Status::IoError(std::string("running the points failed: ") + e.what());
    } catch (const std::exception& e) {
      return Status::IoError(std::string("running the points failed: ") + e.what());
    }
  };
}

// A loaded mesh: immutable after load; each command runs on a copy (settings resolution
// registers intent files with the load's sources).
class Mesh {
 public:
  Mesh(LoadResult r, std::vector<std::string> paths)
      : r_(std::make_shared<LoadResult>(std::move(r))), paths_(std::move(paths)) {}

  // argv names a placeholder PATH (the flag table wants one); the mesh's own paths are the
  // inputs, so .meshproof.yaml is found beside them exactly as the CLI finds it.
  RunResult Run(const std::vector<std::string>& argv) const {
    app::Request req = ParseOrThrow(argv);
    req.paths = paths_;
    app::Outcome o;
    {
      py::gil_scoped_release release;
      o = app::RunLoaded(req, *r_);
    }
    return ToResult(o);
  }
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
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::shared_ptr<const LoadResult> r_;
  std::vector<std::string> paths_;
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
      .def("_run", &Mesh::Run, py::arg("argv"),
           "Runs verify/reach/query/model (argv as the CLI takes it) on this mesh.")
      .def_property_readonly("paths", &Mesh::paths, "The paths the mesh was loaded from.")
      .def_property_readonly(
          "summary", &Mesh::Summary,
          "What was loaded: objects, files, documents, skipped kinds (findings: verify()).")
      .def_property_readonly("failures", &Mesh::Failures,
                             "Paths that could not be read (empty unless strict=False).")
      .def("text", &Mesh::Text, "The load findings rendered as `meshproof verify` prints them.");

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
        return Mesh(std::move(r), paths);
      },
      py::arg("paths"), py::arg("namespace") = "default", py::arg("strict") = true,
      "Loads files, folders (recursively) or '-' for stdin. Raises LoadError when a path "
      "cannot be read, unless strict=False (then see Mesh.failures). Bad manifests never "
      "raise: they become findings in Mesh.verify().");
  m.def(
      "load_string",
      [](const std::string& text, const std::string& name, const std::string& ns) {
        meshproof::LoadOptions o;
        o.default_namespace = ns;
        return Mesh(meshproof::LoadTexts({{name, text}}, o), {});
      },
      py::arg("text"), py::arg("name") = "<string>", py::arg("namespace") = "default",
      "Loads manifests from a string (for notebooks and tests); no .meshproof.yaml applies.");
  m.def(
      "run",
      [](const std::vector<std::string>& argv, const std::optional<std::string>& scenario_text,
         const py::object& progress, const py::object& evaluate) {
        using namespace meshproof::python;
        meshproof::app::Request req = WithScenarioText(ParseOrThrow(argv), scenario_text);
        // The flag RunInterruptibly sets on Ctrl-C; the evaluator (Dask) watches it too.
        auto cancel = std::make_shared<std::atomic<bool>>(false);
        if (!evaluate.is_none()) req.evaluator = PythonEvaluator(evaluate, cancel.get());
        return ToResult(RunInterruptibly(req, progress, cancel));
      },
      py::arg("argv"), py::arg("scenario_text") = py::none(), py::arg("progress") = py::none(),
      py::arg("evaluate") = py::none(),
      "Runs one command exactly as the `meshproof` binary would (argv without the program "
      "name): (exit_code, document, output, messages). Raises ValueError on bad usage and "
      "KeyboardInterrupt when interrupted. `scenario_text` is the scenario for SCENARIO '-'; "
      "`progress(dict)` sees fraction, points_done, points_total, events, events_per_second "
      "and elapsed_seconds; `evaluate(points, cancelled)` runs sweep "
      "points elsewhere (Dask).");
  m.def(
      "evaluate_points",
      [](const std::vector<std::string>& argv, const std::vector<std::string>& points,
         const std::optional<std::string>& scenario_text) {
        using namespace meshproof;
        app::Request req = python::WithScenarioText(python::ParseOrThrow(argv), scenario_text);
        std::vector<app::SweepPoint> in;
        for (const auto& p : points) {
          auto point = app::PointFromJson(nlohmann::json::parse(p, nullptr, false));
          if (!point.ok()) throw std::invalid_argument(point.status().message());
          in.push_back(std::move(*point));
        }
        std::optional<StatusOr<std::vector<nlohmann::json>>> docs;
        {
          py::gil_scoped_release release;
          docs.emplace(app::EvaluatePoints(req, in));
        }
        if (!docs->ok()) throw std::invalid_argument(docs->status().message());
        std::vector<std::string> out;
        for (const auto& d : **docs) out.push_back(d.dump());
        return out;
      },
      py::arg("argv"), py::arg("points"), py::arg("scenario_text") = py::none(),
      "Runs sweep points (JSON, as the sweep's evaluator receives them) on this machine and "
      "returns each point's document as JSON: what a Dask task runs.");

  m.def(
      "main",
      [](const std::vector<std::string>& argv) {
        py::gil_scoped_release release;
        return meshproof::app::RunCommandLine(argv);
      },
      py::arg("argv"),
      "The `meshproof` command line, exactly as the binary runs it: output on file descriptors 1 "
      "and 2, the exit code returned (for `python3 -m meshproof`).");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::runtime_error& e) {
      load_error(e.what());
    }
  });
}
