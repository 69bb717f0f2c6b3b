#include <cstdio>
#include <set>

#include "meshproof/engine/names.h"
#include "meshproof/engine/numeric.h"
#include "meshproof/solver/render.h"

namespace meshproof {

using nlohmann::json;

namespace {

std::string RequestText(const Witness& w) {
  std::string s;
  if (!w.method.empty()) s += w.method + " ";
  if (!w.path.empty()) s += w.path;
  for (const auto& [k, v] : w.headers) s += " [" + k + ": " + v + "]";
  if (s.empty()) s = "a connection";
  return s;
}

json WitnessJson(const Witness& w) {
  json h = json::object();
  for (const auto& [k, v] : w.headers) h[k] = v;
  return {{"source", w.source}, {"destination", w.destination},
          {"port", w.port},     {"method", w.method},
          {"path", w.path},     {"headers", h}};
}

json ExampleJson(const SliceChange::Example& e) {
  return {{"witness", WitnessJson(e.request)},
          {"base", VerdictName(e.base_verdict)},
          {"new", VerdictName(e.new_verdict)},
          {"baseAllowedShare", e.base_allowed_share},
          {"newAllowedShare", e.new_allowed_share},
          {"baseObjects", e.base_objects},
          {"newObjects", e.new_objects}};
}

std::string Objects(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string ExampleLine(const SliceChange::Example& e, bool granted) {
  std::string line = RequestText(e.request) + " (" + VerdictName(e.base_verdict);
  if (e.base_verdict == Verdict::kPartial) line += " " + PercentText(e.base_allowed_share);
  line += std::string(" -> ") + VerdictName(e.new_verdict);
  if (e.new_verdict == Verdict::kPartial) line += " " + PercentText(e.new_allowed_share);
  line += ")";
  const auto& objs = granted ? e.new_objects : e.base_objects;
  if (!objs.empty())
    line += std::string(granted ? " by " : " was allowed by ") + "TrafficTarget " + Objects(objs);
  return line;
}

json FindingJson(const FindingRef& f) {
  json j{{"code", InfoOf(f.code).id},
         {"severity", SeverityName(f.severity)},
         {"message", f.message},
         {"location", {{"file", f.file}, {"line", f.line}, {"column", f.column}}}};
  j["resource"] = f.resource ? json{{"kind", f.resource->kind},
                                    {"namespace", f.resource->namespace_},
                                    {"name", f.resource->name}}
                             : json(nullptr);
  return j;
}

}  // namespace

json DiffToJson(const DiffResult& d) {
  json j;
  j["verdict"] = DiffVerdictName(d.verdict);
  j["slices"] = json::array();
  for (const auto& s : d.slices) {
    json c{{"source", s.source},     {"destination", s.destination}, {"port", s.port},
           {"protocol", s.protocol}, {"granted", s.granted},         {"revoked", s.revoked}};
    c["grant"] = s.grant ? ExampleJson(*s.grant) : json(nullptr);
    c["revoke"] = s.revoke ? ExampleJson(*s.revoke) : json(nullptr);
    j["slices"].push_back(c);
  }
  j["shares"] = json::array();
  for (const auto& sc : d.shares) {
    json b = json::array();
    for (const auto& x : sc.backends)
      b.push_back({{"service", x.service}, {"base", x.base_share}, {"new", x.new_share}});
    j["shares"].push_back({{"root", sc.root}, {"split", sc.split}, {"backends", b}});
  }
  j["newFindings"] = json::array();
  for (const auto& f : d.new_findings) j["newFindings"].push_back(FindingJson(f));
  j["fixedFindings"] = json::array();
  for (const auto& f : d.fixed_findings) j["fixedFindings"].push_back(FindingJson(f));
  j["changedObjects"] = json::array();
  for (const auto& o : d.changed_objects) {
    j["changedObjects"].push_back(
        {{"kind", o.kind}, {"namespace", o.namespace_}, {"name", o.name}});
  }
  j["slicesExamined"] = d.slices_examined;
  j["slicesStructural"] = d.slices_structural;
  j["unknown"] = d.unknown;
  return j;
}

std::string DiffToText(const DiffResult& d) {
  std::string out = std::string("meshproof diff: ") + DiffVerdictName(d.verdict) + " (" +
                    std::to_string(d.changed_objects.size()) + " objects changed, " +
                    std::to_string(d.slices_examined) + " slices examined, " +
                    std::to_string(d.slices_structural) + " proved equal structurally)\n";
  if (d.unknown)
    out += "  warning: the solver could not decide some questions; the diff may be incomplete\n";
  for (const auto& s : d.slices) {
    const std::string slice =
        s.source + " -> " + s.destination + ":" + std::to_string(s.port) + "/" + s.protocol;
    if (s.grant) out += "+ granted  " + slice + ": " + ExampleLine(*s.grant, true) + "\n";
    if (s.revoke) out += "- revoked  " + slice + ": " + ExampleLine(*s.revoke, false) + "\n";
  }
  for (const auto& sc : d.shares) {
    out += "~ split    " + sc.root + " (" + sc.split + "):";
    for (const auto& b : sc.backends)
      out += " " + b.service + " " + PercentText(b.base_share) + " -> " + PercentText(b.new_share) +
             ";";
    out.back() = '\n';
  }
  for (const auto& f : d.new_findings) {
    out += "! new      " + f.file + ":" + std::to_string(f.line) + ": " +
           std::string(SeverityName(f.severity)) + ": " + InfoOf(f.code).id + " " + f.message +
           "\n";
  }
  for (const auto& f : d.fixed_findings) {
    out += std::string("* fixed    ") + InfoOf(f.code).id + " " + f.message + "\n";
  }
  return out;
}

std::string DiffToMarkdown(const DiffResult& d) {
  std::string out = std::string("### meshproof diff: **") + DiffVerdictName(d.verdict) + "**\n\n";
  if (d.slices.empty() && d.shares.empty()) {
    out += "No access or traffic-split change: every request keeps its verdict.\n";
  }
  if (!d.slices.empty()) {
    out +=
        "| | source | destination | example request | before | after | because "
        "|\n|---|---|---|---|---|---|---|\n";
    auto esc = [](std::string s) {
      for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2)
        s.replace(i, 1, "\\|");
      return s;
    };
    for (const auto& s : d.slices) {
      const std::string dst = s.destination + ":" + std::to_string(s.port);
      for (const auto* ex : {s.grant ? &*s.grant : nullptr, s.revoke ? &*s.revoke : nullptr}) {
        if (!ex) continue;
        const bool granted = ex == (s.grant ? &*s.grant : nullptr);
        out += std::string("| ") + (granted ? "🟢 granted" : "🔴 revoked") + " | `" + s.source +
               "` | `" + dst + "` | `" + esc(RequestText(ex->request)) + "` | " +
               VerdictName(ex->base_verdict) + " | " + VerdictName(ex->new_verdict) + " | " +
               esc(Objects(granted ? ex->new_objects : ex->base_objects)) + " |\n";
      }
    }
    out += "\n";
  }
  for (const auto& sc : d.shares) {
    out += "**Traffic split** `" + sc.root + "` (`" + sc.split + "`):";
    for (const auto& b : sc.backends)
      out += " `" + b.service + "` " + PercentText(b.base_share) + " → " +
             PercentText(b.new_share) + ";";
    out.back() = '\n';
    out += "\n";
  }
  if (!d.new_findings.empty()) {
    out += "<details><summary>" + std::to_string(d.new_findings.size()) +
           " new findings</summary>\n\n";
    for (const auto& f : d.new_findings) {
      out += std::string("- **") + InfoOf(f.code).id + "** (" +
             std::string(SeverityName(f.severity)) + ") `" + f.file + ":" + std::to_string(f.line) +
             "` " + f.message + "\n";
    }
    out += "\n</details>\n";
  }
  if (!d.fixed_findings.empty())
    out += std::to_string(d.fixed_findings.size()) + " findings fixed.\n";
  if (d.unknown)
    out += "\n> ⚠️ The solver could not decide some questions; this diff may be incomplete.\n";
  return out;
}

json DiffToSarif(const DiffResult& d, const LoadResult& next, const std::string& srcroot) {
  SarifLog log(srcroot, &next.sources, LocatorFor(next.model));
  log.AddRule("meshproof/diff-granted", "this change grants access",
              "Requests that were denied before this change are now allowed.", Severity::kWarning);
  log.AddRule("meshproof/diff-revoked", "this change revokes access",
              "Requests that were allowed before this change are now denied.", Severity::kWarning);
  log.AddRule("meshproof/diff-split", "this change moves traffic",
              "A TrafficSplit's effective shares changed.", Severity::kInfo);
  ObjectLocator locate = LocatorFor(next.model);
  // A result on an object of NEW, located where that object is written.
  auto result = [&](const char* rule, Severity level, std::string message, const std::string& kind,
                    const std::string& nsname) {
    SarifResult r;
    r.rule_id = rule;
    r.level = level;
    r.message = std::move(message);
    if (auto n = NamespacedName::Parse(nsname, "")) {
      r.resource = ObjectRef{kind, n->namespace_, n->name};
      if (auto loc = locate(*r.resource); loc && loc->file < next.sources.size()) {
        r.file = next.sources.name(loc->file);
        r.line = loc->line;
        r.column = loc->column;
      }
    }
    log.AddResult(r);
  };
  for (const auto& s : d.slices) {
    const std::string edge = s.source + " -> " + s.destination + ":" + std::to_string(s.port);
    if (s.grant) {
      const bool by_target = !s.grant->new_objects.empty();
      result("meshproof/diff-granted", Severity::kWarning,
             "grants " + edge + ": " + ExampleLine(*s.grant, true),
             by_target ? "TrafficTarget" : "Service",
             by_target ? s.grant->new_objects.front() : s.destination);
    }
    if (s.revoke) {
      result("meshproof/diff-revoked", Severity::kWarning,
             "revokes " + edge + ": " + ExampleLine(*s.revoke, false), "Service", s.destination);
    }
  }
  for (const auto& sc : d.shares) {
    std::string text = "traffic split of " + sc.root + " changes:";
    for (const auto& b : sc.backends) {
      text += " " + b.service + " " + PercentText(b.base_share) + " -> " +
              PercentText(b.new_share) + ";";
    }
    result("meshproof/diff-split", Severity::kInfo, text, "TrafficSplit", sc.split);
  }
  // New findings under their own catalog codes, as verify would report them.
  for (const FindingRef& f : d.new_findings) {
    SarifResult r;
    r.rule_id = InfoOf(f.code).id;
    r.level = f.severity;
    r.message = f.message;
    r.file = f.file;
    r.line = f.line;
    r.column = f.column;
    r.resource = f.resource;
    log.AddResult(r);
  }
  return log.Build();
}

}  // namespace meshproof
