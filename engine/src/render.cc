#include "meshproof/engine/render.h"

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "meshproof/engine/numeric.h"

namespace meshproof {

using nlohmann::json;

const char* MeshproofVersion() { return MESHPROOF_VERSION; }

std::string PercentText(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", share * 100);
  return buf;
}

double RoundShare(double share) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", share);
  return std::strtod(buf, nullptr);
}

std::string PercentFixed(double share, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, share * 100);
  return buf;
}

namespace {

json RefJson(const ObjectRef& r) {
  return json{{"kind", r.kind}, {"namespace", r.namespace_}, {"name", r.name}};
}

json LocJson(const Loc& loc, const SourceSet& sources) {
  json j = json::object();
  j["file"] = loc.file == kNoFile || loc.file >= sources.size() ? json(nullptr)
                                                                : json(sources.name(loc.file));
  j["line"] = loc.line;
  j["column"] = loc.column;
  j["path"] = loc.path;
  return j;
}

json MetaJson(const ObjectMeta& m, const SourceSet& sources) {
  json j{{"kind", m.kind},
         {"apiVersion", m.api_version},
         {"name", m.name},
         {"location", LocJson(m.loc, sources)}};
  if (m.api_version_inferred) j["apiVersionInferred"] = true;
  if (!m.namespace_.empty()) j["namespace"] = m.namespace_;
  if (m.namespace_defaulted) j["namespaceDefaulted"] = true;
  if (!m.labels.empty()) j["labels"] = m.labels;
  return j;
}

json SubjectJson(const Subject& s, const SourceSet& sources) {
  json j{{"kind", s.kind},
         {"name", s.name},
         {"namespace", s.namespace_},
         {"location", LocJson(s.loc, sources)}};
  if (s.namespace_defaulted) j["namespaceDefaulted"] = true;
  return j;
}

}  // namespace

std::string RenderDiagnosticText(const Diagnostic& d, const SourceSet& sources, bool quote) {
  std::string out;
  const Loc& loc = d.location;
  if (loc.file != kNoFile && loc.file < sources.size()) {
    out += sources.name(loc.file);
    if (loc.line > 0) out += ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
    out += ": ";
  }
  out += std::string(SeverityName(d.severity)) + ": " + InfoOf(d.code).id + " " + d.message;
  if (d.resource) {
    out += " [" + d.resource->kind + " ";
    if (!d.resource->namespace_.empty()) out += d.resource->namespace_ + "/";
    out += d.resource->name + "]";
  }
  out += "\n";
  if (quote && loc.line > 0 && loc.file < sources.size()) {
    std::string_view line = sources.Line(loc.file, loc.line);
    if (!line.empty()) {
      // Keep long lines readable: show at most 120 columns around the caret.
      std::size_t col = loc.column > 0 ? loc.column - 1 : 0;
      std::size_t start = col > 80 ? col - 60 : 0;
      std::string_view shown = line.substr(start, 120);
      out += "  ";
      out += shown;
      out += "\n  ";
      for (std::size_t i = start; i < col && i - start < shown.size(); ++i) {
        out += line[i] == '\t' ? '\t' : ' ';
      }
      out += "^\n";
    }
  }
  return out;
}

json DiagnosticToJson(const Diagnostic& d, const SourceSet& sources) {
  json j;
  j["code"] = InfoOf(d.code).id;
  j["severity"] = SeverityName(d.severity);
  j["message"] = d.message;
  j["resource"] = d.resource ? RefJson(*d.resource) : json(nullptr);
  j["location"] = LocJson(d.location, sources);
  j["related"] = json::array();
  for (const auto& r : d.related) j["related"].push_back(RefJson(r));
  if (d.witness) {
    const Witness& w = *d.witness;
    json h = json::object();
    for (const auto& [k, v] : w.headers) h[k] = v;
    j["witness"] = json{{"source", w.source}, {"destination", w.destination},
                        {"port", w.port},     {"method", w.method},
                        {"path", w.path},     {"headers", h}};
  } else {
    j["witness"] = nullptr;
  }
  return j;
}

json ModelToJson(const MeshModel& m, const SourceSet& src) {
  json out = json::object();
  json& namespaces = out["namespaces"] = json::array();
  for (const auto& n : m.namespaces) namespaces.push_back(MetaJson(n.meta, src));
  json& sas = out["serviceAccounts"] = json::array();
  for (const auto& s : m.service_accounts) sas.push_back(MetaJson(s.meta, src));

  json& services = out["services"] = json::array();
  for (const auto& s : m.services) {
    json j = MetaJson(s.meta, src);
    j["type"] = s.type;
    j["selector"] = s.has_selector ? json(s.selector) : json(nullptr);
    j["ports"] = json::array();
    for (const auto& p : s.ports) {
      json pj{{"port", p.port}, {"protocol", p.protocol}, {"location", LocJson(p.loc, src)}};
      if (!p.name.empty()) pj["name"] = p.name;
      if (!p.app_protocol.empty()) pj["appProtocol"] = p.app_protocol;
      pj["targetPort"] =
          p.target_port_name.empty() ? json(p.target_port) : json(p.target_port_name);
      j["ports"].push_back(pj);
    }
    services.push_back(j);
  }

  json& workloads = out["workloads"] = json::array();
  for (const auto& w : m.workloads) {
    json j = MetaJson(w.meta, src);
    j["podLabels"] = w.pod_labels;
    j["serviceAccount"] = w.service_account;
    if (w.service_account_defaulted) j["serviceAccountDefaulted"] = true;
    j["replicas"] = w.replicas ? json(*w.replicas) : json(nullptr);
    j["ports"] = json::array();
    for (const auto& p : w.ports) {
      json pj{{"containerPort", p.port}, {"protocol", p.protocol}};
      if (!p.name.empty()) pj["name"] = p.name;
      j["ports"].push_back(pj);
    }
    workloads.push_back(j);
  }

  json& tts = out["trafficTargets"] = json::array();
  for (const auto& t : m.traffic_targets) {
    json j = MetaJson(t.meta, src);
    j["destination"] = SubjectJson(t.destination, src);
    j["port"] = t.port ? json(*t.port) : json(nullptr);
    j["sources"] = json::array();
    for (const auto& s : t.sources) j["sources"].push_back(SubjectJson(s, src));
    j["sourcesPresent"] = t.sources_present;
    j["rules"] = json::array();
    for (const auto& r : t.rules) {
      json rj{{"kind", r.kind}, {"name", r.name}, {"location", LocJson(r.loc, src)}};
      rj["matches"] = r.matches ? json(*r.matches) : json(nullptr);
      j["rules"].push_back(rj);
    }
    j["rulesPresent"] = t.rules_present;
    tts.push_back(j);
  }

  json& hrgs = out["httpRouteGroups"] = json::array();
  for (const auto& g : m.http_route_groups) {
    json j = MetaJson(g.meta, src);
    j["headerForm"] = g.header_form == HeaderForm::kMap    ? "map"
                      : g.header_form == HeaderForm::kList ? "list"
                                                           : "none";
    j["matches"] = json::array();
    for (const auto& hm : g.matches) {
      json mj{{"name", hm.name}, {"methods", hm.methods}, {"location", LocJson(hm.loc, src)}};
      mj["pathRegex"] = hm.path_regex ? json(*hm.path_regex) : json(nullptr);
      mj["headers"] = json::array();
      for (const auto& h : hm.headers) {
        mj["headers"].push_back(json{{"name", h.name}, {"value", h.value}});
      }
      j["matches"].push_back(mj);
    }
    hrgs.push_back(j);
  }

  json& l4 = out["l4Routes"] = json::array();
  for (const auto& r : m.l4_routes) {
    json j = MetaJson(r.meta, src);
    j["protocol"] = r.protocol == L4Protocol::kTcp ? "TCP" : "UDP";
    j["ports"] = r.ports;
    if (!r.match_name.empty()) j["matchName"] = r.match_name;
    l4.push_back(j);
  }

  json& splits = out["trafficSplits"] = json::array();
  for (const auto& s : m.traffic_splits) {
    json j = MetaJson(s.meta, src);
    j["service"] = s.root_service;
    j["quantityWeights"] = s.quantity_weights;
    j["backends"] = json::array();
    for (const auto& b : s.backends) {
      j["backends"].push_back(json{{"service", b.service},
                                   {"weight", b.weight_text},
                                   {"weightValue", b.weight_valid ? json(b.weight) : json(nullptr)},
                                   {"share", RoundShare(b.share)},
                                   {"location", LocJson(b.loc, src)}});
    }
    j["matches"] = json::array();
    for (const auto& mr : s.matches) {
      j["matches"].push_back(json{{"kind", mr.kind}, {"name", mr.name}});
    }
    splits.push_back(j);
  }
  out["skipped"] = m.skipped;
  return out;
}

}  // namespace meshproof
