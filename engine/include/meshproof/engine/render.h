// render.h: diagnostics and the model as text and JSON.
//
// Text follows ninja/compilers: "file:line:col: severity: CODE message [Kind ns/name]",
// then the offending source line and a caret under the column. JSON follows
// product-spec.md ("A diagnostic (JSON)" and the verify envelope). Model JSON is stable:
// keys sorted, objects in (namespace, name) order, so it can be golden-tested and diffed.
#pragma once

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

}  // namespace meshproof
