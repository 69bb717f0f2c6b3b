// SARIF and JUnit renderings for CI systems (GitHub code scanning, Jenkins, GitLab).
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "meshproof/engine/render.h"
#include "meshproof/engine/text.h"

namespace meshproof {

using nlohmann::json;

namespace {

// Help text per band, so each rule explains itself in the code-scanning UI.
std::string HelpFor(const CodeInfo& c) {
  std::string id = c.id;
  std::string why;
  switch (id[2]) {
    case '0':
      why =
          "The manifest itself is malformed for its kind and SMI version; an API server "
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
  return std::string(c.title) + ". " + why +
         " Run `meshproof codes` for the catalog; suppress "
         "with --suppress " +
         id + "[=kind/namespace/name] or in .meshproof.yaml.";
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

// Percent-encodes what a URI reference may not hold (RFC 3986), keeping '/'.
std::string UriEscape(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string FileUri(const std::string& absolute) { return "file://" + UriEscape(absolute); }

// An input's artifactLocation: relative to %SRCROOT% when it lies inside it.
json ArtifactLocation(const std::string& file, const std::string& srcroot) {
  if (file == "<stdin>") return json{{"uri", "stdin"}};
  std::error_code ec;
  std::string abs = std::filesystem::absolute(file, ec).lexically_normal().string();
  if (ec) abs = file;
  if (!srcroot.empty() && abs.rfind(srcroot, 0) == 0) {
    return json{{"uri", UriEscape(abs.substr(srcroot.size()))}, {"uriBaseId", "%SRCROOT%"}};
  }
  return json{{"uri", FileUri(abs)}};
}

std::string RefText(const std::optional<ObjectRef>& r) {
  if (!r) return "";
  return r->kind + "/" + r->namespace_ + "/" + r->name;
}

std::string WitnessText(const Witness& w) {
  std::string s =
      w.source + ">" + w.destination + ":" + std::to_string(w.port) + " " + w.method + " " + w.path;
  for (const auto& [k, v] : w.headers) s += " " + k + "=" + v;
  return s;
}

std::string Xml(const std::string& raw) {
  const std::string s = EscapeInvalidUtf8(raw);
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters, even as references: written as
        // text.h's \xHH like every other output.
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
          static const char kDigits[] = "0123456789abcdef";
          out += "\\x";
          out += kDigits[static_cast<unsigned char>(c) >> 4];
          out += kDigits[static_cast<unsigned char>(c) & 15];
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

std::string Fnv1a64(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

SarifLog::SarifLog(std::string srcroot, const SourceSet* sources, ObjectLocator locate)
    : srcroot_(std::move(srcroot)), sources_(sources), locate_(std::move(locate)) {
  if (!srcroot_.empty() && srcroot_.back() != '/') srcroot_ += '/';
}

void SarifLog::AddRule(const std::string& id, const std::string& title, const std::string& help,
                       Severity level) {
  extra_rules_.push_back({{"id", id},
                          {"name", id},
                          {"shortDescription", {{"text", title}}},
                          {"fullDescription", {{"text", help}}},
                          {"help", {{"text", help}}},
                          {"defaultConfiguration", {{"level", SarifLevel(level)}}}});
}

json SarifLog::Location(const std::string& file, std::uint32_t line, std::uint32_t column) const {
  json region{{"startLine", line > 0 ? line : 1}};
  if (column > 0) region["startColumn"] = column;
  return json{{"artifactLocation", ArtifactLocation(file, srcroot_)}, {"region", region}};
}

void SarifLog::AddDiagnostic(const Diagnostic& d) {
  SarifResult r;
  r.rule_id = InfoOf(d.code).id;
  r.level = d.severity;
  r.message = d.message;
  if (d.location.file != kNoFile && d.location.file < sources_->size()) {
    r.file = sources_->name(d.location.file);
    r.line = d.location.line;
    r.column = d.location.column;
  }
  r.resource = d.resource;
  for (const ObjectRef& ref : d.related) {
    r.related.emplace_back(ref.kind + " " + ref.namespace_ + "/" + ref.name,
                           locate_ ? locate_(ref) : std::nullopt);
  }
  r.witness = d.witness;
  std::string key = r.rule_id + "|" + RefText(d.resource) + "|" + d.location.path;
  if (d.witness) key += "|" + WitnessText(*d.witness);
  AddWithKey(r, key);
}

void SarifLog::AddResult(const SarifResult& r) {
  std::string key = r.rule_id + "|" + RefText(r.resource) + "|" + r.message;
  if (r.resource.has_value() || !r.file.empty()) key += "|" + r.file;
  AddWithKey(r, key);
}

void SarifLog::AddWithKey(const SarifResult& r, const std::string& key) {
  json out;
  out["ruleId"] = r.rule_id;
  out["level"] = SarifLevel(r.level);
  out["message"] = {{"text", r.message}};
  json loc = json::object();
  if (!r.file.empty()) loc["physicalLocation"] = Location(r.file, r.line, r.column);
  if (r.resource) {
    loc["logicalLocations"] =
        json::array({{{"fullyQualifiedName", RefText(r.resource)}, {"kind", "resource"}}});
  }
  out["locations"] = loc.empty() ? json::array() : json::array({loc});
  json related = json::array();
  for (const auto& [text, where] : r.related) {
    json rl{{"id", related.size()}, {"message", {{"text", text}}}};
    if (where && where->file < sources_->size()) {
      rl["physicalLocation"] = Location(sources_->name(where->file), where->line, where->column);
    }
    related.push_back(rl);
  }
  if (!related.empty()) out["relatedLocations"] = related;
  out["partialFingerprints"] = {{"meshproofFinding/v2", Fnv1a64(key)}};
  if (r.witness) {
    const Witness& w = *r.witness;
    json headers = json::object();
    for (const auto& [k, v] : w.headers) headers[k] = v;
    out["properties"] = {{"witness",
                          {{"source", w.source},
                           {"destination", w.destination},
                           {"port", w.port},
                           {"method", w.method},
                           {"path", w.path},
                           {"headers", headers}}}};
  }
  results_.push_back(std::move(out));
}

json SarifLog::Build() const {
  json rules = json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const CodeInfo& c : DiagnosticCatalog()) {
    rule_index[c.id] = rules.size();
    const std::string help = HelpFor(c);
    rules.push_back(
        {{"id", c.id},
         {"name", std::string("meshproof/") + c.id},
         {"shortDescription", {{"text", c.title}}},
         {"fullDescription", {{"text", help}}},
         {"help", {{"text", help}, {"markdown", "**" + std::string(c.id) + "** " + help}}},
         {"defaultConfiguration", {{"level", SarifLevel(c.default_severity)}}},
         {"properties",
          {{"tags", json::array({"smi", "service-mesh"})},
           {"implemented", c.status == CodeStatus::kChecked}}}});
  }
  for (const json& r : extra_rules_) {
    rule_index[r["id"].get<std::string>()] = rules.size();
    rules.push_back(r);
  }
  json results = json::array();
  for (json r : results_) {
    auto it = rule_index.find(r["ruleId"].get<std::string>());
    if (it != rule_index.end()) r["ruleIndex"] = it->second;
    results.push_back(std::move(r));
  }
  json run{{"tool",
            {{"driver",
              {{"name", "meshproof"},
               {"version", MeshproofVersion()},
               {"semanticVersion", MeshproofVersion()},
               {"informationUri", "https://github.com/meshproof/meshproof"},
               {"rules", rules}}}}},
           {"columnKind", "unicodeCodePoints"},
           {"results", results}};
  if (!srcroot_.empty()) {
    run["originalUriBaseIds"] = {{"%SRCROOT%", {{"uri", FileUri(srcroot_)}}}};
  }
  return json{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({run})}};
}

std::string RenderJunit(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                        std::optional<Severity> fail_on) {
  // Suites in file order (the SourceSet's), then findings that have no file.
  std::vector<std::vector<const Diagnostic*>> by_file(sources.size() + 1);
  for (const Diagnostic& d : diags) {
    const bool located = d.location.file != kNoFile && d.location.file < sources.size();
    by_file[located ? d.location.file : sources.size()].push_back(&d);
  }
  std::ostringstream suites;
  std::size_t total_tests = 0, total_failures = 0;
  for (std::size_t f = 0; f <= sources.size(); ++f) {
    const bool no_file = f == sources.size();
    if (no_file && by_file[f].empty()) continue;
    const std::string name = no_file ? "meshproof" : sources.name(static_cast<FileId>(f));
    std::ostringstream cases;
    std::size_t tests = 0, failures = 0;
    for (const Diagnostic* d : by_file[f]) {
      ++tests;
      const std::string text = RenderDiagnosticText(*d, sources, false);
      std::string headline = text.substr(0, text.find('\n'));
      cases << "    <testcase classname=\"" << Xml(name) << "\" name=\"" << InfoOf(d->code).id
            << " " << Xml(RefText(d->resource)) << " " << Xml(d->location.path) << " #" << tests
            << "\"";
      if (fail_on && d->severity >= *fail_on) {
        ++failures;
        cases << "><failure type=\"" << InfoOf(d->code).id << "\" message=\"" << Xml(headline)
              << "\">" << Xml(text) << "</failure></testcase>\n";
      } else {
        cases << "><system-out>" << Xml(text) << "</system-out></testcase>\n";
      }
    }
    if (tests == 0) {
      ++tests;
      cases << "    <testcase classname=\"" << Xml(name) << "\" name=\"no findings\"/>\n";
    }
    total_tests += tests;
    total_failures += failures;
    suites << "  <testsuite name=\"" << Xml(name) << "\" tests=\"" << tests << "\" failures=\""
           << failures << "\" errors=\"0\" skipped=\"0\"";
    if (!no_file) suites << " file=\"" << Xml(name) << "\"";
    suites << ">\n" << cases.str() << "  </testsuite>\n";
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"meshproof verify\" tests=\"" << total_tests << "\" failures=\""
      << total_failures << "\" errors=\"0\">\n"
      << suites.str() << "</testsuites>\n";
  return out.str();
}

}  // namespace meshproof
