// test_mesh.h (tests only): small manifest builders for the solver's tests.
#pragma once

#include <string>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/engine/names.h"

namespace meshproof::testing {

/// A ServiceAccount, a Deployment running as it and a Service selecting it.
inline std::string App(const std::string& ns, const std::string& name, const std::string& sa,
                       int replicas = 1, const std::string& version = "",
                       const std::string& port_name = "http", int port = 80, int target = 8080) {
  std::string labels = "{app: " + name + (version.empty() ? "" : ", version: " + version) + "}";
  return "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " + sa + ", namespace: " + ns +
         "}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
         (version.empty() ? "" : "-" + version) + ", namespace: " + ns +
         "}\nspec:\n  replicas: " + std::to_string(replicas) +
         "\n  template:\n    metadata: {labels: " + labels +
         "}\n    spec:\n      serviceAccountName: " + sa +
         "\n      containers: [{name: c, ports: [{containerPort: " + std::to_string(target) +
         "}]}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         (version.empty() ? "" : "-" + version) + ", namespace: " + ns +
         "}\nspec:\n  selector: " + labels + "\n  ports: [{name: " + port_name +
         ", port: " + std::to_string(port) + ", targetPort: " + std::to_string(target) +
         "}]\n---\n";
}

/// A TrafficTarget (v1alpha3) from `src` to `dest` ("ns/sa") with raw rules YAML.
inline std::string Target(const std::string& ns, const std::string& name, const std::string& dest,
                          const std::string& src, const std::string& rules) {
  const NamespacedName d = *NamespacedName::Parse(dest, ns);
  const NamespacedName s = *NamespacedName::Parse(src, ns);
  return "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec:\n  destination: {kind: ServiceAccount, name: " + d.name +
         ", namespace: " + d.namespace_ + "}\n  rules: " + rules +
         "\n  sources: [{kind: ServiceAccount, name: " + s.name + ", namespace: " + s.namespace_ +
         "}]\n---\n";
}

/// An HTTPRouteGroup (v1alpha4) with raw matches YAML.
inline std::string Routes(const std::string& ns, const std::string& name,
                          const std::string& matches) {
  return "apiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec:\n  matches: " + matches + "\n---\n";
}

inline std::string Split(const std::string& ns, const std::string& name, const std::string& root,
                         const std::string& backends) {
  return "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec:\n  service: " + root + "\n  backends: " + backends +
         "\n---\n";
}

inline std::string Codes(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += std::string(InfoOf(x.code).id) + " " + x.message + "\n";
  return out;
}

}  // namespace meshproof::testing
