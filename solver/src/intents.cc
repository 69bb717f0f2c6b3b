#include "meshproof/solver/intents.h"

#include <algorithm>
#include <set>

#include "meshproof/engine/names.h"
#include "meshproof/solver/query.h"

namespace meshproof {
namespace {

std::string Joined(const std::vector<std::string>& v) {
  std::set<std::string> unique(v.begin(), v.end());
  std::string out;
  for (const auto& s : unique) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// MP5003: an intent about a name that does not exist holds vacuously, which would let a
// typo pass a gate. Returns true when the intent was reported (and must not be evaluated).
bool ReportUnknownNames(const RouteGraph& graph, const Intent& in, Diagnostics* out) {
  std::vector<std::string> problems;
  QueryRequest q;
  q.from = in.from == "*" ? "" : in.from;
  q.to = in.to;
  q.to_identity = in.to_identity;
  q.port = in.port;
  if (in.from == "*") {
    for (const std::string& e : in.except) {
      auto n = NamespacedName::Parse(e, "");
      if (!n || !IdentityExists(graph, n->namespace_, n->name)) {
        problems.push_back("except: identity " + e + " does not exist");
      }
    }
    // Check only the destination: any existing identity will do as the source.
    q.from = graph.identities().empty() ? "" : graph.identities().front().key();
  }
  if (!q.from.empty()) {
    if (std::string p = NameProblem(graph, q); !p.empty()) problems.push_back(p);
  } else if (in.from != "*") {
    problems.push_back("from is empty");
  }
  if (problems.empty()) return false;
  std::string msg;
  for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
  out->Report(DiagCode::MP5003, in.loc, "intent " + in.text + " cannot hold: " + msg);
  return true;
}

}  // namespace

void CheckIntents(const RouteGraph& graph, const std::vector<Intent>& intents, Diagnostics* out) {
  for (const Intent& in : intents) {
    if (ReportUnknownNames(graph, in, out)) continue;
    std::vector<std::string> sources;
    if (in.from == "*") {
      for (const Identity& id : graph.identities()) {
        if (std::find(in.except.begin(), in.except.end(), id.key()) == in.except.end()) {
          sources.push_back(id.key());
        }
      }
    } else {
      sources.push_back(in.from);
    }
    for (const std::string& src : sources) {
      QueryRequest q;
      q.from = src;
      q.to = in.to;
      q.to_identity = in.to_identity;
      q.port = in.port;
      q.method = in.method;
      q.path = in.path;
      q.headers = in.headers;
      // allow: this request, carrying only the headers given, must work. deny: no request
      // of this shape may work, whatever headers it carries.
      q.exact_headers = in.allow;
      QueryAnswer a = Query(graph, q);
      const std::string dest = in.to.empty() ? in.to_identity : in.to;
      if (in.allow && a.verdict != Verdict::kAllow) {
        std::string why = a.problem;
        for (const auto& p : a.ports) {
          if (p.verdict == Verdict::kAllow) continue;
          std::string l = Joined(p.lacks);
          if (!l.empty())
            why += (why.empty() ? "" : "; ") + std::string("port ") + std::to_string(p.port) +
                   ": " + l;
        }
        Diagnostic& d =
            out->Report(DiagCode::MP5001, in.loc,
                        "intent violated: " + in.text + ": " + src + " -> " + dest + " is " +
                            (a.verdict == Verdict::kPartial ? "only partly allowed" : "denied") +
                            (why.empty() ? "" : " (" + why + ")"));
        d.witness = a.witness;
      } else if (!in.allow && a.verdict != Verdict::kDeny) {
        std::string by;
        std::set<std::string> targets;
        for (const auto& p : a.ports) {
          for (const auto& b : p.because) {
            if (targets.insert(b.traffic_target).second) {
              by += (by.empty() ? "" : ", ") + b.traffic_target + " (" + b.routes + ")";
            }
          }
        }
        Diagnostic& d = out->Report(DiagCode::MP5002, in.loc,
                                    "intent violated: " + in.text + ": " + src + " -> " + dest +
                                        " is allowed by TrafficTarget " + by);
        for (const std::string& t : targets) {
          if (auto n = NamespacedName::Parse(t, "")) {
            d.related.push_back(ObjectRef{"TrafficTarget", n->namespace_, n->name});
          }
        }
        d.witness = a.witness;
      }
    }
  }
}

}  // namespace meshproof
