// names.h: "namespace/name" references as users write them (--from, --to, intents,
// suppressions, scenario edges) and as meshproof prints them.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace meshproof {

/// A namespaced Kubernetes name. The one rule for a missing namespace: "name" alone means
/// `default_namespace` (the -n/--namespace flag, "default" unless given), as kubectl reads
/// it. Text with an empty part, more than one '/', or whitespace/control characters is not
/// a name.
struct NamespacedName {
  std::string namespace_;
  std::string name;

  /// nullopt when `text` is not a name (see above).
  static std::optional<NamespacedName> Parse(std::string_view text,
                                             std::string_view default_namespace = "default");
  /// "namespace/name".
  std::string str() const { return namespace_ + "/" + name; }

  friend bool operator==(const NamespacedName&, const NamespacedName&) = default;
  friend auto operator<=>(const NamespacedName&, const NamespacedName&) = default;
};

}  // namespace meshproof
