// render.h: diagnostics and the model as text and JSON.
//
// Text follows ninja/compilers: "file:line:col: severity: CODE message [Kind ns/name]",
// then the offending source line and a caret under the column. JSON follows
// product-spec.md ("A diagnostic (JSON)" and the verify envelope). Model JSON is stable:
// keys sorted, objects in (namespace, name) order, so it can be golden-tested and diffed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/model.h"
#include "meshproof/engine/sources.h"

namespace meshproof {

/// The meshproof version string ("0.1.0").
const char* MeshproofVersion();

/// One diagnostic as text, ending in a newline. With `quote`, the source line and a caret
/// follow when the location has a line.
std::string RenderDiagnosticText(const Diagnostic& d, const SourceSet& sources, bool quote = true);

/// One diagnostic as product-spec.md's JSON object.
nlohmann::json DiagnosticToJson(const Diagnostic& d, const SourceSet& sources);

/// The model as JSON (see model.h for the meaning of each field).
nlohmann::json ModelToJson(const MeshModel& model, const SourceSet& sources);

/// Finds where an object is defined, for SARIF relatedLocations; nullopt when unknown.
using ObjectLocator = std::function<std::optional<Loc>(const ObjectRef&)>;
/// An ObjectLocator over every object of `model`.
ObjectLocator LocatorFor(const MeshModel& model);

/// SARIF 2.1.0 as GitHub code scanning reads it: one rule per catalog code (with help
/// text), one result per diagnostic located at file:line:col (line 1 for whole-file
/// findings), related objects as relatedLocations.
nlohmann::json RenderSarif(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                           const ObjectLocator& locate);

/// JUnit XML: one testcase per catalog code; a code with findings at or above `fail_on`
/// fails (each finding in the failure text), lower ones go to system-out, codes not yet
/// implemented are skipped. fail_on nullopt: nothing fails.
std::string RenderJunit(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                        std::optional<Severity> fail_on);

}  // namespace meshproof
