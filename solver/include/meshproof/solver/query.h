// query.h: one question, "may this source send a request of this shape there?".
//
// Fields left out are open: the answer is `allow` when some request of that shape is
// allowed on every receiver (and the witness is such a request), `partial` when it is
// allowed on some receivers only (denied_share of the requests fail), `deny` when none.
// Across ports (port left out) the best port answers. Concrete methods, paths and headers
// are matched with RE2 under the profile's anchoring; for open ones Z3 finds a value the
// granting match admits (its path as a request path, starting with '/'), and that witness
// is re-checked with RE2 before it is returned.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meshproof/engine/graph.h"
#include "meshproof/solver/reach.h"
#include "meshproof/solver/solver_budget.h"

namespace meshproof {

struct QueryRequest {
  std::string from;         // "ns/serviceaccount"
  std::string to;           // "ns/service", or
  std::string to_identity;  // "ns/serviceaccount"
  std::optional<int> port;  // a Service port (to) or a pod port (to_identity)
  std::optional<std::string> method;
  std::optional<std::string> path;
  std::vector<std::pair<std::string, std::string>> headers;
  bool exact_headers = false;  // the request carries exactly these headers and no others
  /// Build `because` and the blocked-path explanations. Off for callers that need only
  /// verdicts (diff, portability checks): explanations are most of a query's cost.
  bool explain = true;
};

struct QueryAnswer {
  /// Non-empty when the question names something that does not exist; verdict is deny.
  std::string problem;
  Verdict verdict = Verdict::kDeny;
  /// The solver could not decide some open field (timeout): the answer is `unknown`, and
  /// `verdict` is only what was proved.
  bool unknown = false;
  double denied_share = 1;
  Witness witness;  // the request the verdict is about (allowed one when allow/partial)

  struct Because {  // one per receiving identity that allows it
    std::string identity;
    std::string traffic_target;
    std::string routes;  // "all", or "group/match" names
  };
  struct PerPort {
    int port = 0;
    PortProtocol protocol = PortProtocol::kHttp;
    Verdict verdict = Verdict::kDeny;
    double denied_share = 1;
    std::vector<Because> because;
    std::vector<std::string> lacks;  // blocked-path explanation for denying receivers
  };
  std::vector<PerPort> ports;
};

/// False when some header the match requires has a name no request can carry (not an
/// RFC 9110 token: "user agent", ":authority"); such a match admits nothing (MP0002).
bool HeaderNamesValid(const HttpMatch& match);

/// Whether `match` admits a concrete request under `profile` (RE2, as Envoy evaluates
/// regexes). Empty method/path mean "not constrained". An invalid regex admits nothing.
bool MatchAdmits(const HttpMatch& match, const Profile& profile, const std::string& method,
                 const std::string& path,
                 const std::vector<std::pair<std::string, std::string>>& headers);

/// Whether identity `name` exists in the mesh: a ServiceAccount declares it, a workload runs
/// as it or a TrafficTarget names it; `default` exists in every namespace the input uses.
bool IdentityExists(const RouteGraph& graph, const std::string& ns, const std::string& name);

/// Empty when every name in `request` exists (IdentityExists, a Service for `to`, and the
/// port on it); otherwise a one-line message for the user saying which does not. A
/// question about something that does not exist has no verdict: callers report this
/// instead of answering `deny`.
std::string NameProblem(const RouteGraph& graph, const QueryRequest& request);

/// `timeout_ms` bounds each solver call for open fields.
/// `budget` (may be null) bounds the solver work across calls (solver_budget.h).
QueryAnswer Query(const RouteGraph& graph, const QueryRequest& request, unsigned timeout_ms = 2000,
                  SolverBudget* budget = nullptr);

}  // namespace meshproof
