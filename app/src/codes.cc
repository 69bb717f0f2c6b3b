// `meshproof codes [CODE]`: the catalog, or one code explained with a manifest that
// triggers it (each example is checked by app/tests/test_codes.py to trigger its code).
#include <cstdio>
#include <map>

#include "run_internal.h"

#include "meshproof/engine/diagnostics.h"

namespace meshproof::app {
namespace {

using nlohmann::json;

// A ServiceAccount `store`, a Deployment running as it and a Service selecting it, plus a
// caller `web`: the smallest mesh most examples need.
const char* kApps = R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: store, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: store, namespace: shop}
spec:
  template:
    metadata: {labels: {app: store}}
    spec:
      serviceAccountName: store
      containers: [{name: store, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: store, namespace: shop}
spec:
  selector: {app: store}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web}]
---
)";

std::string Routes(const std::string& matches) {
  return "apiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\n"
         "metadata: {name: store-routes, namespace: shop}\nspec:\n  matches:\n" +
         matches + "---\n";
}

std::string Target(const std::string& source, const std::string& rules) {
  return "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\n"
         "metadata: {name: web-to-store, namespace: shop}\nspec:\n"
         "  destination: {kind: ServiceAccount, name: store, namespace: shop}\n"
         "  sources: [{kind: ServiceAccount, name: " +
         source + ", namespace: shop}]\n  rules: " + rules + "\n---\n";
}

const std::string kGetApi = "  - {name: api, pathRegex: /api/.*, methods: [GET]}\n";
const std::string kRule = "[{kind: HTTPRouteGroup, name: store-routes, matches: [api]}]";

std::string Split(const std::string& root, const std::string& backends) {
  return "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\n"
         "metadata: {name: store-split, namespace: shop}\nspec:\n  service: " +
         root + "\n  backends: " + backends + "\n---\n";
}

// A Flagger Canary for Deployment store (kApps), on `provider`, with `analysis` settings.
std::string Canary(const std::string& provider,
                   const std::string& analysis = "    interval: 1m\n    stepWeight: 10\n") {
  return "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: store, namespace: "
         "shop}\nspec:\n  provider: " +
         provider +
         "\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: store}\n"
         "  service: {port: 80, targetPort: 8080}\n  analysis:\n" +
         analysis + "    metrics: [{name: request-success-rate, thresholdRange: {min: 99}}]\n---\n";
}

const std::map<std::string, std::string>& Examples() {
  static const std::map<std::string, std::string> kExamples = {
      {"MP0001", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web\n"},
      {"MP0002",
       "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, labels: {tier: 1}}\n"},
      {"MP0003",
       "kind: TrafficSplit\nmetadata: {name: s, namespace: shop}\n"
       "spec: {service: store, backends: [{service: store-v1, weight: 1}]}\n"},
      {"MP0005",
       "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n"
       "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n"},
      {"MP1001", kApps + Target("web", "[{kind: HTTPRouteGroup, name: store-routes}]")},
      {"MP1002", kApps + Routes(kGetApi) +
                     Target("web", "[{kind: HTTPRouteGroup, name: store-routes, matches: [apj]}]")},
      {"MP1004", kApps + Routes(kGetApi) + Target("webb", kRule)},
      {"MP1009", kApps},
      {"MP2001",
       kApps + Routes("  - {name: api, pathRegex: \"/api/(?=v1)\"}\n") + Target("web", kRule)},
      {"MP2002", kApps + Routes("  - {name: api, pathRegex: api/.*}\n") + Target("web", kRule)},
      {"MP2004",
       kApps + Routes("  - {name: api, pathRegex: /api, methods: [GET]}\n") + Target("web", kRule)},
      {"MP2005", kApps +
                     Routes("  - {name: api, pathRegex: /a}\n  - {name: api, pathRegex: /b}\n") +
                     Target("web", kRule)},
      {"MP7001", kApps + Routes(kGetApi) + Target("web", kRule) +
                     Canary("osm", "    stepWeight: 10\n    mirror: true\n")},
      {"MP7003", kApps + Routes(kGetApi) + Target("web", kRule) +
                     Canary("osm", "    interval: 5s\n    stepWeight: 10\n")},
      // The Deployment runs as store, which no TrafficTarget opens to anyone.
      {"MP7004", kApps + Canary("smi:v1alpha3")},
      {"MP7005", kApps + Canary("osm")},
      {"MP3001", kApps + Split("checkout", "[{service: store, weight: 1}]")},
      {"MP3002", kApps + Split("store", "[{service: store-v2, weight: 1}]")},
      {"MP3003", kApps + Split("store", "[{service: store, weight: 0}]")},
      {"MP3011",
       kApps + Routes(kGetApi) + Target("web", kRule) +
           "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: store-v2, namespace: "
           "shop}\n---\n"
           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: store-v2, namespace: shop}\n"
           "spec:\n  template:\n    metadata: {labels: {app: store, version: v2}}\n    spec:\n"
           "      serviceAccountName: store-v2\n"
           "      containers: [{name: store, ports: [{containerPort: 8080}]}]\n---\n"
           "apiVersion: v1\nkind: Service\nmetadata: {name: store-v2, namespace: shop}\n"
           "spec:\n  selector: {app: store, version: v2}\n"
           "  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n" +
           Split("store", "[{service: store, weight: 90}, {service: store-v2, weight: 10}]")},
  };
  return kExamples;
}

std::string CatalogText() {
  std::string out;
  for (const CodeInfo& c : DiagnosticCatalog()) {
    char line[320];
    std::snprintf(line, sizeof line, "%s  %-7s  %-21s  %s\n", c.id,
                  std::string(SeverityName(c.default_severity)).c_str(),
                  c.status == CodeStatus::kChecked ? "checked" : "not yet implemented", c.title);
    out += line;
  }
  return out;
}

json CodeJson(const CodeInfo& c) {
  json j{{"code", c.id},
         {"severity", SeverityName(c.default_severity)},
         {"implemented", c.status == CodeStatus::kChecked},
         {"title", c.title}};
  if (auto e = CodeExample(c.id)) j["example"] = *e;
  return j;
}

std::string OneCodeText(const CodeInfo& c) {
  std::string out = std::string(c.id) + " (" + std::string(SeverityName(c.default_severity)) +
                    " by default): " + c.title + "\n";
  if (auto e = CodeExample(c.id)) {
    out += "\nExample: `meshproof verify` reports " + std::string(c.id) + " for\n\n";
    std::string indented;
    for (std::size_t start = 0; start < e->size();) {
      std::size_t end = e->find('\n', start);
      if (end == std::string::npos) end = e->size();
      indented += "    " + e->substr(start, end - start) + "\n";
      start = end + 1;
    }
    out += indented;
  } else {
    out +=
        "\nNo stand-alone manifest example: it needs a scenario, a Canary, intents or a "
        "solver timeout (README.md, \"What verify checks\").\n";
  }
  out += "\nChange its severity in .meshproof.yaml (severity: {" + std::string(c.id) +
         ": warning}) or hide it with --suppress " + c.id + "[=kind/namespace/name].\n";
  return out;
}

}  // namespace

std::optional<std::string> CodeExample(const std::string& code) {
  auto it = Examples().find(code);
  if (it == Examples().end()) return std::nullopt;
  return it->second;
}

Outcome RunCodes(const Request& req) {
  Outcome out;
  if (!req.topic.empty()) {
    for (const CodeInfo& c : DiagnosticCatalog()) {
      if (req.topic != c.id) continue;
      out.document = CodeJson(c);
      out.output = req.format == OutputFormat::kJson ? JsonText(&out.document) : OneCodeText(c);
      return out;
    }
    return CannotRun("no diagnostic code '" + req.topic + "' (see meshproof codes)");
  }
  out.document = json::array();
  for (const CodeInfo& c : DiagnosticCatalog()) out.document.push_back(CodeJson(c));
  out.output = req.format == OutputFormat::kJson ? JsonText(&out.document) : CatalogText();
  return out;
}

}  // namespace meshproof::app
