#include "meshproof/app/render_text.h"

#include <cstdio>
#include <map>
#include <set>

#include "meshproof/engine/numeric.h"
#include "meshproof/engine/render.h"

namespace meshproof::app {
namespace {

// ANSI SGR colours for severities, as compilers colour them.
const char* ColorOf(Severity s) {
  switch (s) {
    case Severity::kError:
      return "\033[1;31m";
    case Severity::kWarning:
      return "\033[1;35m";
    case Severity::kInfo:
      return "\033[1;36m";
  }
  return "";
}

// Colours the "severity:" word of a rendered diagnostic's first line.
std::string Colorize(std::string text, Severity s) {
  const std::string word = std::string(SeverityName(s)) + ":";
  const std::size_t eol = text.find('\n');
  const std::size_t at = text.find(word);
  if (at == std::string::npos || at > eol) return text;
  text.insert(at + word.size(), "\033[0m");
  text.insert(at, ColorOf(s));
  return text;
}

// What tells one instance of a group from another: its witness request when it has one
// (route-level findings share their object), else its object and line.
std::string Where(const Diagnostic& d, const SourceSet& sources) {
  if (d.witness) {
    std::string s = d.witness->method.empty() ? "" : d.witness->method + " ";
    return s + (d.witness->path.empty() ? d.witness->destination : d.witness->path);
  }
  std::string s;
  if (d.resource) s = d.resource->kind + " " + d.resource->namespace_ + "/" + d.resource->name;
  if (d.location.file != kNoFile && d.location.file < sources.size()) {
    s += (s.empty() ? "" : " at ") + sources.name(d.location.file) + ":" +
         std::to_string(d.location.line);
  }
  return s;
}

// The lines after a group's first instance: how many more, and where (a few named).
std::string GroupTail(const FindingGroup& g, const std::vector<Diagnostic>& diags,
                      const SourceSet& sources) {
  constexpr std::size_t kShown = 5;
  std::string out = "  ... and " + std::to_string(g.members.size() - 1) + " more " +
                    InfoOf(g.code).id + " for " + g.key + ":";
  for (std::size_t i = 1; i < g.members.size() && i <= kShown; ++i) {
    out += (i == 1 ? " " : "; ") + Where(diags[g.members[i]], sources);
  }
  if (g.members.size() - 1 > kShown) out += "; ...";
  return out + " (-o json lists each)\n";
}

}  // namespace

std::vector<FindingGroup> GroupFindings(const std::vector<Diagnostic>& diags) {
  std::map<std::pair<DiagCode, std::string>, std::size_t> index;
  std::vector<FindingGroup> groups;
  for (std::size_t i = 0; i < diags.size(); ++i) {
    if (diags[i].group.empty()) continue;
    auto [it, inserted] = index.try_emplace({diags[i].code, diags[i].group}, groups.size());
    if (inserted) groups.push_back(FindingGroup{diags[i].code, diags[i].group, {}});
    groups[it->second].members.push_back(i);
  }
  std::vector<FindingGroup> out;
  for (auto& g : groups) {
    if (g.members.size() > 1) out.push_back(std::move(g));
  }
  return out;
}

std::string FindingsText(const std::vector<Diagnostic>& diags, const SourceSet& sources,
                         const TextStyle& style) {
  const std::vector<FindingGroup> groups = GroupFindings(diags);
  std::map<std::size_t, const FindingGroup*> leader;
  std::set<std::size_t> follower;
  for (const FindingGroup& g : groups) {
    leader[g.members.front()] = &g;
    follower.insert(g.members.begin() + 1, g.members.end());
  }
  std::string out;
  for (std::size_t i = 0; i < diags.size(); ++i) {
    const Diagnostic& d = diags[i];
    if (style.quiet && !(style.fail_on && d.severity >= *style.fail_on)) continue;
    if (follower.count(i)) continue;
    std::string text = RenderDiagnosticText(d, sources);
    out += style.color ? Colorize(std::move(text), d.severity) : text;
    if (auto it = leader.find(i); it != leader.end()) out += GroupTail(*it->second, diags, sources);
  }
  return out;
}

std::string ReachText(const RouteGraph& g, const std::vector<ReachEntry>& matrix,
                      const std::string& profile) {
  const MeshModel& m = g.model();
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-36s %-40s %-10s %-8s %s\n", "SOURCE", "DESTINATION", "PORT",
                "VERDICT", "ALLOWED (granting TrafficTargets)");
  out += line;
  for (const ReachEntry& e : matrix) {
    std::string detail;
    std::set<std::string> seen;  // one item per receiving identity and what it allows
    for (const auto& pr : e.receivers) {
      std::string targets;
      for (std::size_t t : pr.access.targets) {
        targets += (targets.empty() ? "" : ", ") + m.traffic_targets[t].meta.name;
      }
      std::string item = g.identities()[pr.identity].key() + ": " + DescribeAccess(g, pr.access);
      if (!targets.empty()) item += " (" + targets + ")";
      if (!seen.insert(item).second) continue;
      detail += (detail.empty() ? "" : "; ") + item;
    }
    std::string verdict = VerdictName(e.verdict);
    if (e.verdict == Verdict::kPartial) verdict += " " + PercentText(e.denied_share) + " denied";
    const std::string port = std::to_string(e.port) + "/" + PortProtocolName(e.protocol);
    std::snprintf(line, sizeof line, "%-36s %-40s %-10s %-8s ",
                  g.identities()[e.source].key().c_str(), g.services()[e.service].key().c_str(),
                  port.c_str(), verdict.c_str());
    out += line + detail + "\n";
  }
  out += "meshproof reach: " + std::to_string(matrix.size()) +
         (matrix.size() == 1 ? " entry" : " entries") + " [profile " + profile + "]\n";
  return out;
}

std::string QueryText(const QueryAnswer& a) {
  std::string out = a.unknown
                        ? std::string("unknown (the solver could not decide; proved so far: ") +
                              VerdictName(a.verdict) + ")"
                        : std::string(VerdictName(a.verdict));
  if (a.verdict == Verdict::kPartial) {
    out += " (" + PercentText(a.denied_share) + " of these requests are denied)";
  }
  out += "\n";
  if (!a.problem.empty()) out += "  " + a.problem + "\n";
  if (a.verdict != Verdict::kDeny) {
    const Witness& w = a.witness;
    out += "  witness: " + w.source + " -> " + w.destination + ":" + std::to_string(w.port);
    if (!w.method.empty()) out += " " + w.method;
    if (!w.path.empty()) out += " " + w.path;
    for (const auto& [k, v] : w.headers) out += " " + k + ": " + v;
    out += "\n";
  }
  for (const auto& p : a.ports) {
    out += "  port " + std::to_string(p.port) + "/" + PortProtocolName(p.protocol) + ": " +
           VerdictName(p.verdict) + "\n";
    for (const auto& b : p.because) {
      out += "    because " + b.traffic_target + " allows it on " + b.identity + " (" + b.routes +
             ")\n";
    }
    for (const auto& l : std::set<std::string>(p.lacks.begin(), p.lacks.end())) {
      out += "    blocked: " + l + "\n";
    }
  }
  return out;
}

}  // namespace meshproof::app
