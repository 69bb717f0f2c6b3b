#include "meshproof/app/settings.h"

#include <filesystem>
#include <map>

#include "meshproof/engine/profile.h"

namespace meshproof::app {
namespace {

namespace fs = std::filesystem;

// A folder given where a file is expected is a usage error, not "no settings": a CI gate
// that silently ran without its intents would pass what it should fail.
Status RequireFile(const std::string& path, const char* flag) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return Status::InvalidArgument(std::string(flag) + " " + path +
                                   " is a folder; give the file itself");
  }
  return Status::Ok();
}

StatusOr<std::optional<Severity>> ParseFailOn(const std::string& value, const std::string& where) {
  if (value == "never") return std::optional<Severity>();
  if (auto s = ParseSeverity(value)) return std::optional<Severity>(*s);
  return Status::InvalidArgument(where + " must be error, warning, info or never, not '" + value +
                                 "'");
}

StatusOr<ProfileId> ParseProfile(const std::string& value, const std::string& where) {
  if (auto p = ParseProfileName(value)) return *p;
  return Status::InvalidArgument(where + " must be " + ProfileNameList() + ", not '" + value + "'");
}

// Intents point into their file: register it once so findings can name and quote it.
void RegisterIntentFiles(const std::string& config_path, std::size_t from_config,
                         const std::string& intents_path, const std::string& intents_text,
                         Config* config, LoadResult* loaded) {
  std::map<std::string, FileId> files;
  auto file_id = [&](const std::string& p, const std::string& text) {
    auto it = files.find(p);
    if (it != files.end()) return it->second;
    return files[p] = loaded->sources.Add(p, text);
  };
  for (std::size_t i = 0; i < config->intents.size(); ++i) {
    const bool in_config = i < from_config;
    config->intents[i].loc.file =
        file_id(in_config ? config_path : intents_path, in_config ? config->text : intents_text);
  }
}

}  // namespace

StatusOr<Settings> ResolveSettings(const Request& request,
                                   const std::vector<std::string>& config_inputs,
                                   LoadResult* loaded) {
  Settings s;
  std::string path = request.config;
  if (!path.empty()) {
    if (Status st = RequireFile(path, "--config"); !st.ok()) return st;
  } else if (auto found = FindConfig(config_inputs)) {
    path = *found;
  }
  if (!path.empty()) {
    auto c = LoadConfig(path);
    if (!c.ok()) return c.status();
    s.verify.config = std::move(*c);
    s.config_file = path;
  }
  Config& config = s.verify.config;
  const std::size_t from_config = config.intents.size();
  std::string intents_text;
  if (!request.intents.empty()) {
    if (Status st = RequireFile(request.intents, "--intents"); !st.ok()) return st;
    auto in = LoadIntents(request.intents, &intents_text);
    if (!in.ok()) return in.status();
    config.intents.insert(config.intents.end(), in->begin(), in->end());
  }
  RegisterIntentFiles(path, from_config, request.intents, intents_text, &config, loaded);

  if (request.profile) {
    auto p = ParseProfile(*request.profile, "--profile");
    if (!p.ok()) return p.status();
    s.profile_name = *request.profile;
  } else if (config.profile) {
    auto p = ParseProfile(*config.profile, path + ": profile");
    if (!p.ok()) return p.status();
    s.profile_name = *config.profile;
  }
  s.verify.profile = *ParseProfileName(s.profile_name);
  s.verify.permissive = request.permissive.value_or(config.permissive.value_or(false));

  if (request.fail_on) {
    auto f = ParseFailOn(*request.fail_on, "--fail-on");
    if (!f.ok()) return f.status();
    s.fail_on = *f;
  } else if (config.fail_on) {
    auto f = ParseFailOn(*config.fail_on, path + ": failOn");
    if (!f.ok()) return f.status();
    s.fail_on = *f;
  }
  for (const std::string& text : request.suppress) {
    auto sup = Suppression::Parse(text);
    if (!sup.ok()) return sup.status();
    config.suppressions.push_back(*sup);
  }
  if (request.solver_timeout_ms) {
    config.solver_timeout_ms = request.solver_timeout_ms;
  }
  if (config.solver_timeout_ms) s.solver_timeout_ms = *config.solver_timeout_ms;
  return s;
}

}  // namespace meshproof::app
