// diff.h: the semantic difference between two versions of a mesh's policy.
//
// For every (source identity, destination Service, port) whose allowed requests changed,
// Diff reports whether access was granted, revoked or both, each with a concrete witness
// request evaluated on both versions (allowed, or allowed for a larger share, on one side
// and not the other), and the objects responsible. It also reports TrafficSplit share
// changes, findings that appeared or were fixed, and an overall verdict: equal,
// more-permissive, less-permissive or incomparable.
//
// Change slicing: only slices whose Service, split, endpoints or grants involve an object
// that changed (content compared without source locations, so moving an object to another
// file changes nothing) are examined; all other slices are equal by construction. Within
// an examined slice, identical receivers and grants prove equality without Z3.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/profile.h"
#include "meshproof/solver/reach.h"

namespace meshproof {

struct DiffOptions {
  ProfileId profile = ProfileId::kSpec;
  bool permissive = false;  // both versions under permissive mode (profile.h)
  unsigned solver_timeout_ms = 2000;
  bool findings = true;  // compare verify findings too
};

struct SliceChange {
  std::string source;       // ns/serviceaccount
  std::string destination;  // ns/service
  int port = 0;
  std::string protocol;
  bool granted = false;
  bool revoked = false;
  struct Example {
    Witness request;
    Verdict base_verdict = Verdict::kDeny;
    Verdict new_verdict = Verdict::kDeny;
    double base_allowed_share = 0;
    double new_allowed_share = 0;
    std::vector<std::string> base_objects;  // TrafficTargets allowing it in BASE (ns/name)
    std::vector<std::string> new_objects;   // ... in NEW
  };
  std::optional<Example> grant;   // witness of a grant
  std::optional<Example> revoke;  // witness of a revocation
};

struct ShareChange {
  std::string root;   // ns/service
  std::string split;  // ns/name of the TrafficSplit (NEW side, else BASE)
  struct Backend {
    std::string service;
    double base_share = 0;  // 0 when absent
    double new_share = 0;
  };
  std::vector<Backend> backends;
};

struct FindingRef {
  DiagCode code = DiagCode::MP0001;
  Severity severity = Severity::kError;
  std::string message, file;
  std::uint32_t line = 0, column = 0;
  std::optional<ObjectRef> resource;
};

/// The change as a whole: nothing changed, only grants, only revocations, or both.
enum class DiffVerdict : std::uint8_t { kEqual, kMorePermissive, kLessPermissive, kIncomparable };
/// "equal", "more-permissive", "less-permissive", "incomparable".
const char* DiffVerdictName(DiffVerdict v);

struct DiffResult {
  DiffVerdict verdict = DiffVerdict::kEqual;
  std::vector<SliceChange> slices;
  std::vector<ShareChange> shares;
  std::vector<FindingRef> new_findings;    // in NEW, not in BASE
  std::vector<FindingRef> fixed_findings;  // in BASE, not in NEW
  std::vector<ObjectRef> changed_objects;  // added, removed or modified
  std::size_t slices_examined = 0;         // touched by a change
  std::size_t slices_structural = 0;       // of those, proved equal without Z3
  bool unknown = false;                    // a solver call gave up: the diff may be incomplete
};

/// The semantic difference from `base` to `next`. Never fails.
DiffResult Diff(const LoadResult& base, const LoadResult& next, const DiffOptions& options);

}  // namespace meshproof
