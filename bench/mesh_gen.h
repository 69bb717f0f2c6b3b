// mesh_gen.h: a synthetic, deterministic mesh generator for benchmarks and scale tests.
//
// Generates Kubernetes + SMI YAML shaped like real meshes: namespaces, one ServiceAccount,
// Deployment and Service per service, HTTPRouteGroups with realistic path regexes, methods
// and headers, TCPRoutes, about `targets_per_service` TrafficTargets per service, and a
// canary (v1/v2 backends + TrafficSplit) on every `canary_every`-th service. The same
// options always give the same bytes. Later benchmarks (graph, solver, simulator) reuse it.
#pragma once

#include <cstdint>
#include <string>

namespace meshproof::bench {

struct MeshGenOptions {
  int services = 100;
  int namespaces = 10;
  int targets_per_service = 2;
  int matches_per_group = 4;
  int canary_every = 10;  // 0 = no canaries
  std::uint64_t seed = 1;
};

/// The whole mesh as one multi-document YAML stream.
std::string GenerateMeshYaml(const MeshGenOptions& options);

/// The benchmarks' standard mesh of `services` services (services/50 namespaces, about 2
/// TrafficTargets per service), generated once per size and cached. Not thread-safe.
const std::string& StandardMeshYaml(int services);

}  // namespace meshproof::bench
