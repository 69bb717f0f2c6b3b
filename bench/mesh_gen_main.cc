// meshproof-meshgen: prints a synthetic mesh (see mesh_gen.h) for scale experiments.
//   meshproof-meshgen --services 10000 [--namespaces N] [--targets-per-service 2] [--seed 1]
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "mesh_gen.h"

int main(int argc, char** argv) {
  meshproof::bench::MeshGenOptions o;
  for (int i = 1; i + 1 < argc; i += 2) {
    long v = std::strtol(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--services"))
      o.services = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--namespaces"))
      o.namespaces = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--targets-per-service"))
      o.targets_per_service = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--matches-per-group"))
      o.matches_per_group = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--seed"))
      o.seed = static_cast<std::uint64_t>(v);
    else {
      std::cerr << "meshproof-meshgen: unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  if (o.services < 1 || o.namespaces < 1) {
    std::cerr << "meshproof-meshgen: --services and --namespaces must be positive\n";
    return 2;
  }
  std::cout << meshproof::bench::GenerateMeshYaml(o);
  return 0;
}
