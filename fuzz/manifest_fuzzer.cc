// libFuzzer harness: the manifest loader, the SMI converter and the graph compiler.
// Any input must end in diagnostics, never in a crash, a sanitizer report or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  meshproof::LoadResult r = meshproof::LoadTexts({{"fuzz.yaml", text}});
  for (meshproof::ProfileId p : {meshproof::ProfileId::kSpec, meshproof::ProfileId::kOsm}) {
    meshproof::RouteGraph g = meshproof::CompileGraph(r.model, meshproof::GetProfile(p));
    (void)g;
  }
  return 0;
}
