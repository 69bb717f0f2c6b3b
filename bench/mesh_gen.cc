#include "mesh_gen.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace meshproof::bench {
namespace {

// Path regexes of the kinds users write (anchored and not, alternations, classes).
const char* kPathPatterns[] = {
    "/api/v1/items/[0-9]+",          "/api/v1/(orders|carts)/.*",      "/health",        "/metrics",
    "/api/v2/users/[a-z0-9-]{8,36}", "/static/.*\\.(js|css|png)",      "^/admin(/.*)?$", "/graphql",
    "/api/v1/search\\?q=.*",         "/v[0-9]+/payments/[A-Z0-9]{12}",
};
const char* kMethods[][3] = {{"GET", nullptr, nullptr},
                             {"GET", "HEAD", nullptr},
                             {"POST", "PUT", nullptr},
                             {"*", nullptr, nullptr},
                             {"DELETE", nullptr, nullptr}};

std::string Ns(int i, int namespaces) { return "ns-" + std::to_string(i % namespaces); }
std::string Svc(int i) { return "svc-" + std::to_string(i); }

}  // namespace

std::string GenerateMeshYaml(const MeshGenOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::string y;
  y.reserve(static_cast<std::size_t>(o.services) * 4096);
  for (int n = 0; n < o.namespaces; ++n) {
    y += "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-" + std::to_string(n) + "\n---\n";
  }
  for (int i = 0; i < o.services; ++i) {
    const std::string ns = Ns(i, o.namespaces);
    const std::string s = Svc(i);
    const bool canary = o.canary_every > 0 && i % o.canary_every == 0;
    y += "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " + s + "\n  namespace: " + ns +
         "\n---\n";
    const std::vector<const char*> versions =
        canary ? std::vector<const char*>{"v1", "v2"} : std::vector<const char*>{"v1"};
    for (const char* version : versions) {
      y += "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + s + "-" + version +
           "\n  namespace: " + ns + "\n  labels:\n    app: " + s +
           "\nspec:\n  replicas: " + std::to_string(1 + rng() % 5) +
           "\n  selector:\n    matchLabels:\n      app: " + s + "\n      version: " + version +
           "\n  template:\n    metadata:\n      labels:\n        app: " + s +
           "\n        version: " + version + "\n    spec:\n      serviceAccountName: " + s +
           "\n      containers:\n      - name: app\n        image: registry.example.com/" + s +
           ":1.0\n        ports:\n        - name: http\n          containerPort: 8080\n"
           "        - name: tcp-admin\n          containerPort: 9000\n---\n";
    }
    auto service = [&](const std::string& name, const char* version) {
      y += "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
           "\nspec:\n  selector:\n    app: " + s + "\n";
      if (version) y += std::string("    version: ") + version + "\n";
      y += "  ports:\n  - name: http\n    port: 80\n    targetPort: http\n    appProtocol: http\n"
           "  - name: tcp-admin\n    port: 9000\n---\n";
    };
    service(s, nullptr);
    if (canary) {
      service(s + "-v1", "v1");
      service(s + "-v2", "v2");
      y += "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\nmetadata:\n  name: " + s +
           "-split\n  namespace: " + ns + "\nspec:\n  service: " + s +
           "\n  backends:\n  - service: " + s + "-v1\n    weight: 90\n  - service: " + s +
           "-v2\n    weight: 10\n---\n";
    }
    y += "apiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata:\n  name: " + s +
         "-routes\n  namespace: " + ns + "\nspec:\n  matches:\n";
    for (int m = 0; m < o.matches_per_group; ++m) {
      y += "  - name: m" + std::to_string(m) + "\n    pathRegex: '" +
           kPathPatterns[rng() % (sizeof kPathPatterns / sizeof *kPathPatterns)] +
           "'\n    methods:";
      for (const char* meth : kMethods[rng() % (sizeof kMethods / sizeof *kMethods)]) {
        if (meth) y += std::string("\n    - \"") + meth + "\"";
      }
      y += "\n";
      if (rng() % 4 == 0) y += "    headers:\n    - x-tenant: '^(acme|globex)$'\n";
    }
    y += "---\napiVersion: specs.smi-spec.io/v1alpha4\nkind: TCPRoute\nmetadata:\n  name: " + s +
         "-admin\n  namespace: " + ns + "\nspec:\n  matches:\n    ports: [8080, 9000]\n---\n";
    for (int t = 0; t < o.targets_per_service; ++t) {
      int src = static_cast<int>((i + 1 + rng() % static_cast<std::uint64_t>(o.services)) %
                                 static_cast<std::uint64_t>(o.services));
      y += "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata:\n  name: " + s +
           "-from-" + Svc(src) + "-" + std::to_string(t) + "\n  namespace: " + ns +
           "\nspec:\n  destination:\n    kind: ServiceAccount\n    name: " + s +
           "\n    namespace: " + ns + "\n  rules:\n  - kind: HTTPRouteGroup\n    name: " + s +
           "-routes\n    matches:\n    - m" +
           std::to_string(rng() % static_cast<std::uint64_t>(o.matches_per_group)) +
           "\n  - kind: TCPRoute\n    name: " + s +
           "-admin\n  sources:\n  - kind: ServiceAccount\n    name: " + Svc(src) +
           "\n    namespace: " + Ns(src, o.namespaces) + "\n---\n";
    }
  }
  return y;
}

const std::string& StandardMeshYaml(int services) {
  static std::map<int, std::string> cache;
  auto it = cache.find(services);
  if (it == cache.end()) {
    MeshGenOptions o;
    o.services = services;
    o.namespaces = std::max(1, services / 50);
    o.targets_per_service = 2;
    it = cache.emplace(services, GenerateMeshYaml(o)).first;
  }
  return it->second;
}

}  // namespace meshproof::bench
