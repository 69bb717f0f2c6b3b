// check.h: assertions for broken invariants (STYLE.md). A failed check is a bug in
// meshproof, never a user's bad input (that is a Diagnostic) nor an operational failure
// (a Status): it prints where and what, then aborts, in every build type.
#pragma once

#include <cstdio>
#include <cstdlib>

/// MESHPROOF_CHECK(condition, "what should have held"): always on. For preconditions a
/// caller can break (REQUIRES in public headers) and states that must never happen.
#define MESHPROOF_CHECK(condition, message)                                               \
  do {                                                                                    \
    if (!(condition)) [[unlikely]] {                                                      \
      std::fprintf(stderr, "meshproof: internal error at %s:%d: check failed: %s (%s)\n", \
                   __FILE__, __LINE__, #condition, message);                              \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

/// MESHPROOF_DCHECK: the same in debug builds only, for checks on hot paths (the event
/// loop, random draws) where the release build cannot afford them.
#ifdef NDEBUG
#define MESHPROOF_DCHECK(condition, message) \
  do {                                       \
  } while (false)
#else
#define MESHPROOF_DCHECK(condition, message) MESHPROOF_CHECK(condition, message)
#endif
