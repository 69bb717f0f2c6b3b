// render.h: diagnostics and the model as text and JSON.
//
// Text follows ninja/compilers: "file:line:col: severity: CODE message [Kind ns/name]",
// then the offending source line and a caret under the column. JSON follows
// docs/reference/product-spec.md ("A diagnostic (JSON)" and the verify envelope). Model JSON is
// stable: keys sorted, objects in (namespace, name) order, so it can be golden-tested and diffed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/model.h"
#include "meshproof/engine/sources.h"

namespace meshproof {

/// The meshproof version string ("0.1.0").
const char* MeshproofVersion();

/// One diagnostic as text, ending in a newline. With `quote`, the source line and a caret
/// follow when the location has a line.
std::string RenderDiagnosticText(const Diagnostic& d, const SourceSet& sources, bool quote = true);

/// One diagnostic as docs/reference/product-spec.md's JSON object.
nlohmann::json DiagnosticToJson(const Diagnostic& d, const SourceSet& sources);

/// The model as JSON (see model.h for the meaning of each field).
nlohmann::json ModelToJson(const MeshModel& model, const SourceSet& sources);

/// Finds where an object is defined, for SARIF relatedLocations; nullopt when unknown.
using ObjectLocator = std::function<std::optional<Loc>(const ObjectRef&)>;
/// An ObjectLocator over every object of `model`.
ObjectLocator LocatorFor(const MeshModel& model);

/// One SARIF result before it is placed in the log.
struct SarifResult {
  std::string rule_id;  // a catalog code ("MP3011") or a rule added with AddRule
  Severity level = Severity::kWarning;
  std::string message;
  std::string file;  // as the SourceSet names it; empty: no physical location
  std::uint32_t line = 0, column = 0;
  std::optional<ObjectRef> resource;
  std::vector<std::pair<std::string, std::optional<Loc>>> related;  // text, where
  std::optional<Witness> witness;
};

/// SARIF 2.1.0 as GitHub code scanning reads it, for verify and diff alike: one rule per
/// catalog code (with help text) plus any added rules, one result per finding located at
/// file:line:col (line 1 for whole-file findings), related objects as relatedLocations,
/// stable fingerprints (FNV-1a 64 of code, object, YAML path and witness: the same finding
/// keeps its fingerprint when lines move or the tool is rebuilt elsewhere), and artifact
/// URIs relative to %SRCROOT% (`srcroot`, an absolute folder; files outside it get
/// absolute file:// URIs).
class SarifLog {
 public:
  SarifLog(std::string srcroot, const SourceSet* sources, ObjectLocator locate);
  void AddRule(const std::string& id, const std::string& title, const std::string& help,
               Severity level);
  void AddDiagnostic(const Diagnostic& d);
  void AddResult(const SarifResult& r);
  nlohmann::json Build() const;

 private:
  nlohmann::json Location(const std::string& file, std::uint32_t line, std::uint32_t column) const;
  void AddWithKey(const SarifResult& r, const std::string& key);
  std::string srcroot_;
  const SourceSet* sources_;
  ObjectLocator locate_;
  std::vector<nlohmann::json> extra_rules_;
  std::vector<nlohmann::json> results_;
};

/// FNV-1a 64-bit hash as 16 hex digits: stable across platforms and standard libraries.
std::string Fnv1a64(const std::string& text);

/// JUnit XML that validates against Jenkins xUnit's junit-10.xsd: one testsuite per input
/// file (findings without a file in a suite "meshproof"), one testcase per finding that
/// fails when it is at or above `fail_on` (its message "file:line:col: CODE ..."; lower ones
/// pass with the finding in system-out), one passing testcase per clean file.
/// fail_on nullopt: nothing fails.
std::string RenderJunit(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                        std::optional<Severity> fail_on);

}  // namespace meshproof
