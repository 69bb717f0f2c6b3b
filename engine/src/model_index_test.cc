#include "meshproof/engine/model_index.h"

#include <gtest/gtest.h>

#include "meshproof/engine/loader.h"

namespace meshproof {
namespace {

TEST(ModelIndex, FindsEachKindByNamespaceAndName) {
  const LoadResult r = LoadTexts({{"m.yaml", R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {spec: {containers: [{name: c}]}}}
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: r, namespace: shop}
spec: {matches: [{name: m}]}
---
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: s, namespace: shop}
spec: {service: web, backends: [{service: web, weight: 1}]}
)"}});
  const ModelIndex index(r.model);
  ASSERT_TRUE(index.Service("shop", "web"));
  EXPECT_EQ(r.model.services[*index.Service("shop", "web")].meta.name, "web");
  EXPECT_TRUE(index.Workload("shop", "web"));
  EXPECT_TRUE(index.HttpRouteGroup("shop", "r"));
  EXPECT_TRUE(index.TrafficSplit("shop", "s"));
  EXPECT_FALSE(index.Service("other", "web"));
  EXPECT_FALSE(index.Workload("shop", "r"));
}

}  // namespace
}  // namespace meshproof
