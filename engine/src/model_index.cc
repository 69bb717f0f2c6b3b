#include "meshproof/engine/model_index.h"

namespace meshproof {
namespace {

template <typename T>
void Index(const std::vector<T>& objects,
           std::map<std::pair<std::string, std::string>, std::size_t>* out) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    (*out)[{objects[i].meta.namespace_, objects[i].meta.name}] = i;
  }
}

}  // namespace

ModelIndex::ModelIndex(const MeshModel& model) {
  Index(model.workloads, &workloads_);
  Index(model.services, &services_);
  Index(model.http_route_groups, &groups_);
  Index(model.traffic_splits, &splits_);
}

std::optional<std::size_t> ModelIndex::Find(const std::map<Key, std::size_t>& m,
                                            const std::string& ns, const std::string& name) {
  auto it = m.find({ns, name});
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> ModelIndex::Workload(const std::string& ns,
                                                const std::string& name) const {
  return Find(workloads_, ns, name);
}
std::optional<std::size_t> ModelIndex::Service(const std::string& ns,
                                               const std::string& name) const {
  return Find(services_, ns, name);
}
std::optional<std::size_t> ModelIndex::HttpRouteGroup(const std::string& ns,
                                                      const std::string& name) const {
  return Find(groups_, ns, name);
}
std::optional<std::size_t> ModelIndex::TrafficSplit(const std::string& ns,
                                                    const std::string& name) const {
  return Find(splits_, ns, name);
}

}  // namespace meshproof
