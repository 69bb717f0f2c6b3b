// diagnostics.h: findings about the user's input, as data.
//
// A Diagnostic is what meshproof says about a manifest: a stable code from the catalog
// (diagnostic_codes.def), a severity, a one-line message, the object it is about, where it
// is (file:line:column plus the YAML path inside the object), related objects and, for
// findings about requests, a witness request. Diagnostics never abort analysis: a loader or
// check records what it found and goes on with what is valid.
//
// Thread-safety: a Diagnostics sink is a plain container; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshproof {

enum class Severity : std::uint8_t { kInfo = 0, kWarning = 1, kError = 2 };

/// "info", "warning", "error".
std::string_view SeverityName(Severity s);
/// Parses "info" | "warning" | "error"; nullopt otherwise.
std::optional<Severity> ParseSeverity(std::string_view s);

/// Every code in the catalog, in catalog order.
enum class DiagCode : std::uint16_t {
#define DIAG(code, severity, status, title) code,
#include "meshproof/engine/diagnostic_codes.def"
#undef DIAG
};

/// Whether a check in this build emits the code, or the catalog only reserves it.
enum class CodeStatus : std::uint8_t { kChecked, kPlanned };

struct CodeInfo {
  DiagCode code;
  const char* id;  // "MP0001"
  Severity default_severity;
  CodeStatus status;
  const char* title;  // one line, from docs/reference/product-spec.md's catalog
};

/// The whole catalog, ordered by code. Never empty.
const std::vector<CodeInfo>& DiagnosticCatalog();
/// The catalog entry of `code`.
const CodeInfo& InfoOf(DiagCode code);
/// "MP0001" -> kMP0001; nullopt for an unknown id.
std::optional<DiagCode> ParseDiagCode(std::string_view id);

/// Index of a file in a SourceSet (sources.h). kNoFile when a finding has no file.
using FileId = std::uint32_t;
inline constexpr FileId kNoFile = UINT32_MAX;

/// A place in the input. line and column are 1-based; 0 means unknown (e.g. a whole-file
/// finding). path is the YAML path inside the object ("spec.backends[1].weight"), empty for
/// the object itself.
struct Loc {
  FileId file = kNoFile;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string path;
};

/// A Kubernetes object's identity. kind is the Kubernetes kind ("TrafficSplit"); namespace_
/// is empty for cluster-scoped kinds (Namespace).
struct ObjectRef {
  std::string kind;
  std::string namespace_;
  std::string name;
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
  friend auto operator<=>(const ObjectRef&, const ObjectRef&) = default;
};

/// A concrete request that demonstrates a finding. Identities and services are "ns/name".
struct Witness {
  std::string source;
  std::string destination;
  int port = 0;  // 0 = any
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // sorted by name
};

struct Diagnostic {
  DiagCode code = DiagCode::MP0001;
  Severity severity = Severity::kError;
  std::string message;  // one line, no trailing period needed
  std::optional<ObjectRef> resource;
  Loc location;
  std::vector<ObjectRef> related;
  std::optional<Witness> witness;
  /// Findings with the same code and a non-empty group share one root cause (one unknown
  /// identity named by many TrafficTargets; one TrafficTarget read differently by two
  /// profiles on many routes). Text output shows a group once; JSON lists its instances.
  std::string group;
};

/// An ordered collection of diagnostics. Analysis appends; renderers read.
class Diagnostics {
 public:
  /// Appends a diagnostic with the code's default severity.
  Diagnostic& Report(DiagCode code, Loc location, std::string message,
                     std::optional<ObjectRef> resource = std::nullopt);
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  void Append(const Diagnostics& other);

  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic>& mutable_items() { return items_; }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  std::size_t Count(Severity s) const;
  std::size_t Count(DiagCode c) const;
  /// True when some diagnostic has this code.
  bool Has(DiagCode c) const { return Count(c) > 0; }

  /// Sorts by (file, line, column, code, message): stable output for goldens and CI.
  /// Diagnostics without a file sort last.
  void Sort();

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace meshproof
