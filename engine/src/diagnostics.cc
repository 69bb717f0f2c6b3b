#include "meshproof/engine/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "meshproof/engine/sources.h"

namespace meshproof {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  if (s == "info") return Severity::kInfo;
  if (s == "warning") return Severity::kWarning;
  if (s == "error") return Severity::kError;
  return std::nullopt;
}

const std::vector<CodeInfo>& DiagnosticCatalog() {
  static const std::vector<CodeInfo> catalog = {
#define DIAG(code, severity, status, title) \
  {DiagCode::code, #code, Severity::severity, CodeStatus::status, title},
#include "meshproof/engine/diagnostic_codes.def"
#undef DIAG
  };
  return catalog;
}

const CodeInfo& InfoOf(DiagCode code) {
  return DiagnosticCatalog()[static_cast<std::size_t>(code)];
}

std::optional<DiagCode> ParseDiagCode(std::string_view id) {
  for (const CodeInfo& c : DiagnosticCatalog()) {
    if (id == c.id) return c.code;
  }
  return std::nullopt;
}

Diagnostic& Diagnostics::Report(DiagCode code, Loc location, std::string message,
                                std::optional<ObjectRef> resource) {
  Diagnostic d;
  d.code = code;
  d.severity = InfoOf(code).default_severity;
  d.message = std::move(message);
  d.location = std::move(location);
  d.resource = std::move(resource);
  items_.push_back(std::move(d));
  return items_.back();
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::size_t Diagnostics::Count(Severity s) const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [s](const Diagnostic& d) { return d.severity == s; }));
}

std::size_t Diagnostics::Count(DiagCode c) const {
  return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(),
                                                [c](const Diagnostic& d) { return d.code == c; }));
}

void Diagnostics::Sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.location.file, a.location.line, a.location.column, a.code, a.message) <
           std::tie(b.location.file, b.location.line, b.location.column, b.code, b.message);
  });
}

FileId SourceSet::Add(std::string name, std::string text) {
  files_.push_back({std::move(name), std::move(text), {}});
  return static_cast<FileId>(files_.size() - 1);
}

FileId SourceSet::AddWithoutText(std::string name) { return Add(std::move(name), ""); }

std::string_view SourceSet::Line(FileId id, std::uint32_t line) const {
  if (id >= files_.size() || line == 0) return {};
  const File& f = files_[id];
  if (f.line_starts.empty()) {
    f.line_starts.push_back(0);
    for (std::size_t i = 0; i < f.text.size(); ++i) {
      if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
    }
  }
  if (line > f.line_starts.size()) return {};
  std::size_t begin = f.line_starts[line - 1];
  std::size_t end = line < f.line_starts.size() ? f.line_starts[line] - 1 : f.text.size();
  std::string_view v(f.text.data() + begin, end - begin);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

}  // namespace meshproof
