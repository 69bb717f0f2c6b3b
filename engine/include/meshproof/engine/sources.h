// sources.h: the input files meshproof read, kept so findings can quote them.
//
// Every Loc in the model and in diagnostics names a file by FileId, an index into the
// SourceSet of the load that produced it. The text is kept so the text renderer can quote
// the offending line with a caret (as ninja does).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meshproof/engine/check.h"
#include "meshproof/engine/diagnostics.h"

namespace meshproof {

class SourceSet {
 public:
  /// Registers a file's display name ("mesh/split.yaml", "<stdin>") and its bytes.
  FileId Add(std::string name, std::string text);
  /// Registers a file whose bytes were not kept (unreadable, too large, binary).
  FileId AddWithoutText(std::string name);

  std::size_t size() const { return files_.size(); }
  /// REQUIRES: id < size() (checked).
  const std::string& name(FileId id) const { return At(id).name; }
  const std::string& text(FileId id) const { return At(id).text; }
  /// The 1-based line `line` of file `id` without its newline; empty if out of range.
  std::string_view Line(FileId id, std::uint32_t line) const;

 private:
  struct File;
  const File& At(FileId id) const {
    MESHPROOF_CHECK(id < files_.size(), "FileId out of range for this SourceSet");
    return files_[id];
  }
  struct File {
    std::string name;
    std::string text;
    mutable std::vector<std::size_t> line_starts;  // computed on first Line() call
  };
  std::vector<File> files_;
};

}  // namespace meshproof
