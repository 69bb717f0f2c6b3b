// libFuzzer harness: Flagger Canary and MetricTemplate parsing over loaded manifests, and
// verify's Flagger checks (the access policy of each Canary's identity) over the same input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "meshproof/engine/loader.h"
#include "meshproof/engine/profile.h"
#include "meshproof/simulator/canary_checks.h"
#include "meshproof/simulator/flagger.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  meshproof::LoadResult r = meshproof::LoadTexts({{"canary.yaml", text}});
  meshproof::Diagnostics diags;
  auto canaries = meshproof::sim::ParseCanaries(r.sources, "kubernetes", "default", &diags);
  for (const auto& c : canaries) {
    for (int w = 0; w <= 100; w += 7) (void)c.NextStep(w);
    (void)c.Steps();
  }
  meshproof::Diagnostics verify;
  meshproof::sim::CheckCanaries(r, meshproof::GetProfile(meshproof::ProfileId::kSpec), "default",
                                &verify);
  return 0;
}
