// render_text.h: the human-readable renderings of verify, reach and query.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/sources.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"

namespace meshproof::app {

/// Findings that share a root cause (Diagnostic::group) with their instances' indices.
struct FindingGroup {
  DiagCode code = DiagCode::MP0001;
  std::string key;
  std::vector<std::size_t> members;  // indices into the findings, in order
};
/// Groups of two or more findings, in the order of their first member.
std::vector<FindingGroup> GroupFindings(const std::vector<Diagnostic>& diags);

struct TextStyle {
  bool color = false;
  bool quiet = false;
  std::optional<Severity> fail_on;
};

/// verify's findings, a group shown once (its first instance, then what else it covers).
std::string FindingsText(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                         const TextStyle& style);
/// The reach matrix as a table.
std::string ReachText(const RouteGraph& g, const std::vector<ReachEntry>& matrix,
                      const std::string& profile);
/// A query answer: verdict, witness, per-port reasons.
std::string QueryText(const QueryAnswer& a);

}  // namespace meshproof::app
