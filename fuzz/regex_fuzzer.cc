// libFuzzer harness: meshproof's regex parser and Z3 translator, with RE2 as the oracle.
//
// Input: one byte choosing the anchoring, then the pattern, then (after the first '\n')
// a value. A definite answer of the translator that RE2 contradicts, or a witness RE2
// rejects, is a bug and aborts. Unknown (timeout, unsupported) is always allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "meshproof/solver/route_solver.h"

namespace {

using meshproof::RegexAnchoring;
using meshproof::SolveStatus;

bool Printable(const std::string& s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

[[noreturn]] void Mismatch(const std::string& what, const std::string& pattern,
                           const std::string& value) {
  std::cerr << "regex_fuzzer: " << what << "\n  pattern: '" << pattern << "'\n  value: '" << value
            << "'\n";
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 512) return 0;  // long patterns only make Z3 slower, not wiser
  const RegexAnchoring anchoring = data[0] % 3 == 0   ? RegexAnchoring::kFull
                                   : data[0] % 3 == 1 ? RegexAnchoring::kPrefix
                                                      : RegexAnchoring::kSearch;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t nl = rest.find('\n');
  const std::string pattern = rest.substr(0, nl);
  const std::string value = nl == std::string::npos ? "" : rest.substr(nl + 1);
  if (!meshproof::CheckRegex(pattern).ok) return 0;

  // One solver per process, renewed now and then so Z3's caches cannot grow without end.
  static std::unique_ptr<meshproof::RouteSolver> solver;
  static int uses = 0;
  if (!solver || ++uses % 500 == 0) solver = std::make_unique<meshproof::RouteSolver>(300);

  if (Printable(value)) {
    const SolveStatus s = solver->Accepts(pattern, anchoring, value);
    const bool re2 = meshproof::Re2Admits(pattern, value, anchoring);
    if (s == SolveStatus::kSat && !re2) Mismatch("translator accepts, RE2 rejects", pattern, value);
    if (s == SolveStatus::kUnsat && re2)
      Mismatch("translator rejects, RE2 accepts", pattern, value);
  }
  const meshproof::StringAnswer e = solver->Example(pattern, anchoring);
  if (e.status == SolveStatus::kSat && !meshproof::Re2Admits(pattern, e.witness, anchoring))
    Mismatch("witness rejected by RE2", pattern, e.witness);
  const meshproof::StringAnswer r = solver->Rejected(pattern, anchoring);
  if (r.status == SolveStatus::kSat && meshproof::Re2Admits(pattern, r.witness, anchoring))
    Mismatch("rejected witness admitted by RE2", pattern, r.witness);
  return 0;
}
