#include "meshproof/engine/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "convert.h"
#include <fcntl.h>
#include <unistd.h>

#include "meshproof/engine/yaml_tree.h"

namespace meshproof {
namespace {

namespace fs = std::filesystem;

bool HasManifestExtension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Collects manifest files under `dir` in sorted order. Hidden entries (.git, .github) are
// skipped; symlinked directories are followed once (cycles are cut by canonical path).
void CollectDirectory(const fs::path& dir, std::set<fs::path>* visited,
                      std::vector<std::string>* files, std::vector<Status>* failures) {
  std::error_code ec;
  fs::path canon = fs::canonical(dir, ec);
  if (ec || !visited->insert(canon).second) return;
  std::vector<fs::path> entries;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    failures->push_back(
        Status::IoError("cannot read directory '" + dir.string() + "': " + ec.message()));
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    entries.push_back(it->path());
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& e : entries) {
    std::string name = e.filename().string();
    if (!name.empty() && name[0] == '.') continue;
    std::error_code sec;
    if (fs::is_directory(e, sec)) {
      CollectDirectory(e, visited, files, failures);
    } else if (HasManifestExtension(e)) {
      files->push_back(e.string());
    }
  }
}

// Reads a file with read(2): an I/O error becomes a Status (libstdc++'s filebuf throws on
// them instead). The size is not trusted (/proc files report 0).
Status ReadWholeFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot read '" + path + "': " + std::strerror(errno));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      return Status::IoError("cannot read '" + path + "': " + err);
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return Status::Ok();
}

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  void LoadPath(const std::string& path) {
    if (path == "-") {
      std::istream& in = options_.stdin_stream ? *options_.stdin_stream : std::cin;
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LoadText("<stdin>", std::move(text));
      return;
    }
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      result_.failures.push_back(
          Status::NotFound("cannot read '" + path + "': no such file or directory"));
      return;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> files;
      std::set<fs::path> visited;
      CollectDirectory(path, &visited, &files, &result_.failures);
      for (const auto& f : files) LoadFile(f, /*named_by_user=*/false);
      return;
    }
    LoadFile(path);
  }

  void LoadFile(const std::string& path, bool named_by_user = true) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (!ec && size > options_.max_file_bytes) {
      FileId id = result_.sources.AddWithoutText(path);
      result_.diagnostics.Report(DiagCode::MP0001, Loc{id, 0, 0, ""},
                                 "file is " + std::to_string(size) + " bytes, over the " +
                                     std::to_string(options_.max_file_bytes) +
                                     "-byte limit; not parsed");
      ++result_.files_read;
      return;
    }
    std::string text;
    if (Status st = ReadWholeFile(path, &text); !st.ok()) {
      result_.failures.push_back(std::move(st));
      return;
    }
    LoadText(path, std::move(text), named_by_user);
  }

  void LoadText(std::string name, std::string text, bool named_by_user = true) {
    ++result_.files_read;
    if (text.size() > options_.max_file_bytes) {
      FileId id = result_.sources.AddWithoutText(std::move(name));
      result_.diagnostics.Report(DiagCode::MP0001, Loc{id, 0, 0, ""},
                                 "input is " + std::to_string(text.size()) + " bytes, over the " +
                                     std::to_string(options_.max_file_bytes) +
                                     "-byte limit; not parsed");
      return;
    }
    // A UTF-8 byte order mark is legal YAML; drop it so columns on line 1 are right.
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
    if (text.size() >= 2 &&
        ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
      FileId id = result_.sources.AddWithoutText(std::move(name));
      result_.diagnostics.Report(DiagCode::MP0001, Loc{id, 1, 1, ""},
                                 "file is UTF-16 or UTF-32 encoded; save it as UTF-8");
      return;
    }
    if (std::size_t nul = text.find('\0'); nul != std::string::npos) {
      FileId id = result_.sources.AddWithoutText(std::move(name));
      result_.diagnostics.Report(DiagCode::MP0001, Loc{id, 0, 0, ""},
                                 "binary data (NUL byte at offset " + std::to_string(nul) +
                                     "), not YAML or JSON; file ignored");
      return;
    }
    FileId id = result_.sources.Add(std::move(name), std::move(text));
    yaml::ParsedFile parsed;
    yaml::ParseLimits limits;
    limits.max_alias_expansion = options_.max_alias_expansion;
    yaml::ParseFile(result_.sources.text(id), id, limits, &parsed, &result_.diagnostics);
    ConvertContext ctx;
    ctx.file = id;
    ctx.default_namespace = options_.default_namespace;
    ctx.model = &result_.model;
    ctx.diags = &result_.diagnostics;
    ctx.named_by_user = named_by_user;
    for (const yaml::Document& doc : parsed.documents) {
      ++result_.documents;
      ConvertDocument(doc.root, ctx);
    }
  }

  LoadResult Finish() {
    FinalizeModel(&result_.model, result_.sources, &result_.diagnostics);
    result_.diagnostics.Sort();
    return std::move(result_);
  }

 private:
  const LoadOptions& options_;
  LoadResult result_;
};

}  // namespace

LoadResult LoadPaths(const std::vector<std::string>& paths, const LoadOptions& options) {
  Loader loader(options);
  for (const std::string& p : paths) loader.LoadPath(p);
  for (const auto& [name, text] : options.extra_texts) loader.LoadText(name, text);
  return loader.Finish();
}

LoadResult LoadTexts(const std::vector<std::pair<std::string, std::string>>& inputs,
                     const LoadOptions& options) {
  Loader loader(options);
  for (const auto& [name, text] : inputs) loader.LoadText(name, text);
  return loader.Finish();
}

const char* WorkloadKindName(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kDeployment:
      return "Deployment";
    case WorkloadKind::kStatefulSet:
      return "StatefulSet";
    case WorkloadKind::kDaemonSet:
      return "DaemonSet";
    case WorkloadKind::kReplicaSet:
      return "ReplicaSet";
    case WorkloadKind::kPod:
      return "Pod";
  }
  return "?";
}

Loc ObjectMeta::LocOf(std::string_view path) const {
  std::string_view probe = path;
  for (;;) {
    auto it =
        std::lower_bound(fields.begin(), fields.end(), probe,
                         [](const FieldLocation& f, std::string_view p) { return f.path < p; });
    if (it != fields.end() && it->path == probe) {
      return Loc{loc.file, it->line, it->column, loc.path + std::string(path)};
    }
    // Up one level: "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a".
    std::size_t cut = probe.find_last_of(".[");
    if (cut == std::string_view::npos || cut == 0) break;
    probe = probe.substr(0, cut);
  }
  return Loc{loc.file, loc.line, loc.column, loc.path + std::string(path)};
}

std::size_t MeshModel::ObjectCount() const {
  return namespaces.size() + service_accounts.size() + services.size() + workloads.size() +
         traffic_targets.size() + http_route_groups.size() + l4_routes.size() +
         traffic_splits.size();
}

bool ScanWouldRead(const std::string& folder, const std::string& file) {
  std::error_code ec;
  const fs::path root = fs::canonical(folder, ec);
  if (ec || !fs::is_directory(root, ec)) return false;
  fs::path target = fs::weakly_canonical(fs::absolute(file, ec), ec);
  if (ec || !HasManifestExtension(target)) return false;
  const fs::path rel = target.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return false;
  for (const fs::path& part : rel) {
    const std::string name = part.string();
    if (!name.empty() && name[0] == '.') return false;
  }
  return true;
}

}  // namespace meshproof
