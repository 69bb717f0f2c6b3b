#include "meshproof/engine/loader.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "convert.h"

#include "meshproof/engine/input.h"
#include "meshproof/engine/text.h"
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

// What a folder scan found: the manifest files in sorted order, and the special files
// (FIFO, device, socket) with a manifest extension that it will not read.
struct FolderScan {
  std::vector<std::string> files;
  std::vector<std::pair<std::string, std::string>> specials;  // (path, what it is)
};

const char* SpecialKind(const fs::file_status& st) {
  switch (st.type()) {
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::socket:
      return "a socket";
    default:
      return nullptr;
  }
}

// Collects manifest files under `dir` in sorted order. Hidden entries (.git, .github) are
// skipped; symlinked directories are followed once (cycles are cut by canonical path).
// Only regular files are read: a FIFO would block the scan forever and a device could be
// endless, so they are listed for a warning instead.
void CollectDirectory(const fs::path& dir, std::set<fs::path>* visited, FolderScan* scan,
                      std::vector<Status>* failures) {
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
    const fs::file_status st = fs::status(e, sec);
    if (fs::is_directory(st)) {
      CollectDirectory(e, visited, scan, failures);
    } else if (HasManifestExtension(e)) {
      if (const char* special = SpecialKind(st)) {
        scan->specials.emplace_back(e.string(), special);
      } else {
        scan->files.push_back(e.string());  // regular, or unreadable: the read says why
      }
    }
  }
}

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  void LoadPath(const std::string& path) {
    if (path == "-" && options_.stdin_stream != nullptr) {
      LoadStream("<stdin>", *options_.stdin_stream);
      return;
    }
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (path != "-" && (ec || !fs::exists(st))) {
      result_.failures.push_back(
          Status::NotFound("cannot read '" + path + "': no such file or directory"));
      return;
    }
    if (fs::is_directory(st)) {
      LoadFolder(path);
      return;
    }
    LoadFile(path);  // named by the user: read whatever it is, with the same cap
  }

  void LoadFolder(const std::string& path) {
    FolderScan scan;
    std::set<fs::path> visited;
    CollectDirectory(path, &visited, &scan, &result_.failures);
    for (const auto& [special, what] : scan.specials) {
      FileId id = result_.sources.AddWithoutText(special);
      result_.diagnostics.Report(DiagCode::MP0008, Loc{id, 0, 0, ""},
                                 std::string("skipped: ") + what +
                                     ", not a regular file (name it on the command line to "
                                     "read it)");
    }
    if (scan.files.empty()) {
      FileId id = result_.sources.AddWithoutText(path);
      result_.diagnostics.Report(DiagCode::MP0008, Loc{id, 0, 0, ""},
                                 "folder holds no manifest (*.yaml, *.yml or *.json outside "
                                 "hidden folders); nothing was read from it");
    }
    for (const auto& f : scan.files) LoadFile(f, /*named_by_user=*/false);
  }

  void LoadFile(const std::string& path, bool named_by_user = true) {
    CappedRead r = ReadCapped(path, options_.max_file_bytes);
    if (!r.status.ok()) {
      result_.failures.push_back(std::move(r.status));
      return;
    }
    if (r.too_large) {
      ++result_.files_read;
      FileId id = result_.sources.AddWithoutText(path == "-" ? "<stdin>" : path);
      result_.diagnostics.Report(DiagCode::MP0001, Loc{id, 0, 0, ""},
                                 "input is over the " + std::to_string(options_.max_file_bytes) +
                                     "-byte limit; not parsed (reading stopped there)");
      return;
    }
    // A NUL byte stops the read; LoadText reports the binary input.
    LoadText(path == "-" ? "<stdin>" : path, std::move(r.text), named_by_user);
  }

  // Test streams for "-": the same cap, enforced while reading.
  void LoadStream(const std::string& name, std::istream& in) {
    std::string text;
    char buf[1 << 16];
    while (text.size() <= options_.max_file_bytes && in.read(buf, sizeof buf).gcount() > 0)
      text.append(buf, static_cast<std::size_t>(in.gcount()));
    LoadText(name, std::move(text));
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
    NormalizeLoneCarriageReturns(&text);
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
