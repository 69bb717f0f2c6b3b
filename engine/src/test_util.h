// test_util.h (tests only): small helpers shared by the engine's tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "meshproof/engine/loader.h"

namespace meshproof::testing {

inline std::string ReadFileForTest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Loads one in-memory manifest named "test.yaml".
inline LoadResult LoadYaml(const std::string& text, const LoadOptions& options = {}) {
  return LoadTexts({{"test.yaml", text}}, options);
}

/// "MP0002 spec.x: ...\nMP0004 ...": the codes and messages, for readable failures.
inline std::string DiagSummary(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.items()) {
    out += std::string(InfoOf(d.code).id) + " " + std::to_string(d.location.line) + ":" +
           std::to_string(d.location.column) + " " + d.message + "\n";
  }
  return out;
}

}  // namespace meshproof::testing
