// config.h: .meshproof.yaml, the project configuration for `meshproof verify`.
//
//   profile: osm                    # semantics profile (spec | osm | traefik | linkerd)
//   permissive: true                # OSM permissive traffic policy mode: allow everything
//   failOn: warning                 # error | warning | info | never
//   requireWeightSum: 100           # MP3005: every TrafficSplit's weights sum to this
//   solverTimeoutMs: 2000           # bound on each Z3 call; a timeout is MP9001
//   overBroadSources: 5             # MP1008: any path + any method to this many identities
//   severity:                       # per-code severity overrides
//     MP1010: warning
//   suppress:                       # CODE, or CODE=kind/namespace/name
//   - MP0006
//   - MP3011=TrafficSplit/shop/web-split
//   intents:                        # what must and must not be reachable
//   (docs/reference/product-spec.md)
//   - allow: {from: bookbuyer/bookbuyer, to: bookstore/bookstore, method: GET, path: /books-bought}
//   - deny:  {from: "*", to: bookwarehouse/mysql, except: [bookwarehouse/bookwarehouse]}
//
// A configuration is the user's instruction, not a manifest: an invalid one is an
// operational failure (a Status naming file:line), so meshproof stops with exit 2 rather
// than run with settings the user did not mean.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/status.h"

namespace meshproof {

/// One suppression: a code, optionally limited to one object.
struct Suppression {
  DiagCode code = DiagCode::MP0001;
  std::optional<ObjectRef> object;  // kind/namespace/name; nullopt = everywhere
  /// Parses "MP1010" or "MP3011=TrafficSplit/shop/web-split".
  static StatusOr<Suppression> Parse(const std::string& text);
  bool Matches(const Diagnostic& d) const;
};

/// One intent: a request shape that must be allowed, or must be denied.
struct Intent {
  bool allow = true;
  std::string from;                 // "ns/serviceaccount" or "*"
  std::vector<std::string> except;  // with from "*": identities exempt
  std::string to;                   // "ns/service" (a Service) ...
  std::string to_identity;          // ... or "ns/serviceaccount" (to-identity)
  std::optional<int> port;
  std::optional<std::string> method;
  std::optional<std::string> path;
  std::vector<std::pair<std::string, std::string>> headers;
  Loc loc;           // where the intent is written
  std::string text;  // the intent as written, for messages
};

struct Config {
  std::string file;  // where it was read from; empty for defaults
  std::optional<std::string> profile;
  std::optional<bool> permissive;  // permissive traffic policy mode (profile.h)
  std::optional<std::string> fail_on;
  std::optional<double> require_weight_sum;
  std::optional<unsigned> solver_timeout_ms;  // solverTimeoutMs: per solver call (MP9001)
  std::optional<int> over_broad_sources;      // overBroadSources: MP1008 threshold
  std::map<DiagCode, std::optional<Severity>> severity;  // nullopt severity = off
  std::vector<Suppression> suppressions;
  std::vector<Intent> intents;
  /// Text of the file (for quoting intent locations); the loader's SourceSet owns manifests.
  std::string text;
};

/// Parses configuration text. `name` is used in error messages and intent locations.
StatusOr<Config> ParseConfig(const std::string& text, const std::string& name);
/// Reads and parses a configuration file.
StatusOr<Config> LoadConfig(const std::string& path);
/// Parses an intents file (a YAML map with `intents:`, or a bare list of intents). The
/// file's text goes to `text` when given (to quote intent locations).
StatusOr<std::vector<Intent>> LoadIntents(const std::string& path, std::string* text = nullptr);
/// The first .meshproof.yaml next to the inputs: in each folder input, or beside each file
/// input, in order. nullopt when there is none.
std::optional<std::string> FindConfig(const std::vector<std::string>& inputs);

}  // namespace meshproof
