#include "meshproof/engine/names.h"

namespace meshproof {
namespace {

bool ValidPart(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<NamespacedName> NamespacedName::Parse(std::string_view text,
                                                    std::string_view default_namespace) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (!ValidPart(text) || !ValidPart(default_namespace)) return std::nullopt;
    return NamespacedName{std::string(default_namespace), std::string(text)};
  }
  std::string_view ns = text.substr(0, slash);
  std::string_view name = text.substr(slash + 1);
  if (!ValidPart(ns) || !ValidPart(name) || name.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return NamespacedName{std::string(ns), std::string(name)};
}

}  // namespace meshproof
