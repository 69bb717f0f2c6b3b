// SARIF and JUnit renderings for CI systems (GitHub code scanning, Jenkins, GitLab).
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "meshproof/engine/render.h"

namespace meshproof {

using nlohmann::json;

namespace {

// Help text per band, so each rule explains itself in the code-scanning UI.
std::string HelpFor(const CodeInfo& c) {
  std::string id = c.id;
  std::string why;
  switch (id[2]) {
    case '0':
      why = "The manifest itself is malformed for its kind and SMI version; an API server "
            "would reject it or silently prune fields.";
      break;
    case '1':
      why = "Access policy (TrafficTarget) problem: the grant does not do what it appears to.";
      break;
    case '2':
      why = "Route definition (HTTPRouteGroup/TCPRoute/UDPRoute) problem.";
      break;
    case '3':
      why = "Traffic split problem: requests may go nowhere or be denied in production.";
      break;
    case '4':
      why = "Portability: implementations (OSM, Traefik Mesh, Linkerd) read this differently.";
      break;
    case '5':
      why = "An intent from your configuration does not hold.";
      break;
    default:
      why = "The analysis could not conclude.";
  }
  return std::string(c.title) + ". " + why + " Run `meshproof codes` for the catalog; suppress "
         "with --suppress " + id + "[=kind/namespace/name] or in .meshproof.yaml.";
}

const char* SarifLevel(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "note";
  }
  return "none";
}

std::string Uri(const std::string& path) {
  if (path == "<stdin>") return "stdin";
  if (!path.empty() && path[0] == '/') return "file://" + path;
  return path.rfind("./", 0) == 0 ? path.substr(2) : path;
}

json PhysicalLocation(const Loc& loc, const SourceSet& sources) {
  json region{{"startLine", loc.line > 0 ? loc.line : 1}};
  if (loc.column > 0) region["startColumn"] = loc.column;
  return json{{"artifactLocation", {{"uri", Uri(sources.name(loc.file))}}}, {"region", region}};
}

std::string Xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 forbids most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

ObjectLocator LocatorFor(const MeshModel& m) {
  auto index = std::make_shared<std::map<ObjectRef, Loc>>();
  m.ForEachMeta([&](const ObjectMeta& meta) { index->emplace(meta.ref(), meta.loc); });
  return [index](const ObjectRef& r) -> std::optional<Loc> {
    auto it = index->find(r);
    if (it == index->end()) return std::nullopt;
    return it->second;
  };
}

json RenderSarif(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                 const ObjectLocator& locate) {
  json rules = json::array();
  std::map<DiagCode, std::size_t> rule_index;
  for (const CodeInfo& c : DiagnosticCatalog()) {
    rule_index[c.code] = rules.size();
    std::string help = HelpFor(c);
    rules.push_back({{"id", c.id},
                     {"name", std::string("meshproof/") + c.id},
                     {"shortDescription", {{"text", c.title}}},
                     {"fullDescription", {{"text", help}}},
                     {"help", {{"text", help}, {"markdown", "**" + std::string(c.id) + "** " + help}}},
                     {"defaultConfiguration", {{"level", SarifLevel(c.default_severity)}}},
                     {"properties", {{"tags", json::array({"smi", "service-mesh"})},
                                     {"implemented", c.status == CodeStatus::kChecked}}}});
  }
  json results = json::array();
  for (const Diagnostic& d : diags) {
    json r;
    r["ruleId"] = InfoOf(d.code).id;
    r["ruleIndex"] = rule_index[d.code];
    r["level"] = SarifLevel(d.severity);
    r["message"] = {{"text", d.message}};
    json loc = json::object();
    if (d.location.file != kNoFile && d.location.file < sources.size()) {
      loc["physicalLocation"] = PhysicalLocation(d.location, sources);
    }
    if (d.resource) {
      loc["logicalLocations"] = json::array(
          {{{"fullyQualifiedName", d.resource->kind + "/" + d.resource->namespace_ + "/" + d.resource->name},
            {"kind", "resource"}}});
    }
    r["locations"] = json::array({loc});
    json related = json::array();
    int id = 0;
    for (const ObjectRef& ref : d.related) {
      json rl{{"id", id++},
              {"message", {{"text", ref.kind + " " + ref.namespace_ + "/" + ref.name}}}};
      if (auto l = locate ? locate(ref) : std::nullopt; l && l->file < sources.size()) {
        rl["physicalLocation"] = PhysicalLocation(*l, sources);
      }
      related.push_back(rl);
    }
    if (!related.empty()) r["relatedLocations"] = related;
    // Stable across line shifts: code + object + message, so GitHub tracks a finding over time.
    std::string fp = std::string(InfoOf(d.code).id) + "|" +
                     (d.resource ? d.resource->kind + "/" + d.resource->namespace_ + "/" + d.resource->name : "") +
                     "|" + d.location.path;
    r["partialFingerprints"] = {{"meshproofFinding/v1", std::to_string(std::hash<std::string>{}(fp))}};
    if (d.witness) {
      const Witness& w = *d.witness;
      r["properties"] = {{"witness", {{"source", w.source}, {"destination", w.destination}, {"port", w.port},
                                      {"method", w.method}, {"path", w.path}}}};
    }
    results.push_back(r);
  }
  return json{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({{{"tool", {{"driver", {{"name", "meshproof"},
                                                            {"version", MeshproofVersion()},
                                                            {"informationUri", "https://github.com/meshproof/meshproof"},
                                                            {"rules", rules}}}}},
                                     {"columnKind", "unicodeCodePoints"},
                                     {"results", results}}})}};
}

std::string RenderJunit(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                        std::optional<Severity> fail_on) {
  std::map<DiagCode, std::vector<const Diagnostic*>> by_code;
  for (const Diagnostic& d : diags) by_code[d.code].push_back(&d);
  std::ostringstream cases;
  int tests = 0, failures = 0, skipped = 0;
  for (const CodeInfo& c : DiagnosticCatalog()) {
    ++tests;
    cases << "    <testcase classname=\"meshproof.verify\" name=\"" << c.id << " " << Xml(c.title) << "\"";
    if (c.status == CodeStatus::kPlanned) {
      ++skipped;
      cases << "><skipped message=\"not yet implemented\"/></testcase>\n";
      continue;
    }
    std::string failing, other;
    for (const Diagnostic* d : by_code[c.code]) {
      std::string line = RenderDiagnosticText(*d, sources, false);
      (fail_on && d->severity >= *fail_on ? failing : other) += line;
    }
    if (failing.empty() && other.empty()) {
      cases << "/>\n";
      continue;
    }
    cases << ">";
    if (!failing.empty()) {
      ++failures;
      cases << "<failure type=\"" << c.id << "\" message=\"" << Xml(c.title) << "\">" << Xml(failing) << "</failure>";
    }
    if (!other.empty()) cases << "<system-out>" << Xml(other) << "</system-out>";
    cases << "</testcase>\n";
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"meshproof\" tests=\"" << tests << "\" failures=\"" << failures << "\" skipped=\""
      << skipped << "\">\n"
      << "  <testsuite name=\"meshproof verify\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" skipped=\"" << skipped << "\" errors=\"0\">\n"
      << cases.str() << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace meshproof
