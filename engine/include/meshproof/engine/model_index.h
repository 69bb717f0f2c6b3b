// model_index.h: lookups of model objects by namespace and name, built once per model so no
// check, compile step or simulation setup scans a kind linearly.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "meshproof/engine/model.h"

namespace meshproof {

/// Indices into a MeshModel's vectors by (namespace, name). The model must outlive the
/// index and not change while it is used. Duplicates (MP0005) resolve to the later object,
/// as the loader keeps it.
class ModelIndex {
 public:
  explicit ModelIndex(const MeshModel& model);

  std::optional<std::size_t> Workload(const std::string& ns, const std::string& name) const;
  std::optional<std::size_t> Service(const std::string& ns, const std::string& name) const;
  std::optional<std::size_t> HttpRouteGroup(const std::string& ns, const std::string& name) const;
  std::optional<std::size_t> TrafficSplit(const std::string& ns, const std::string& name) const;

 private:
  using Key = std::pair<std::string, std::string>;
  static std::optional<std::size_t> Find(const std::map<Key, std::size_t>& m, const std::string& ns,
                                         const std::string& name);
  std::map<Key, std::size_t> workloads_, services_, groups_, splits_;
};

}  // namespace meshproof
