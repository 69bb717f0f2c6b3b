// libFuzzer harness: the scenario parser and its validation (MP6001). Mesh paths are
// resolved against a folder that does not exist, so nothing is read from disk.
#include <cstddef>
#include <cstdint>
#include <string>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/simulator/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  meshproof::Diagnostics diags;
  meshproof::sim::Scenario s = meshproof::sim::ParseScenario(text, 0, "/nonexistent", &diags);
  (void)s;
  return 0;
}
