// convert.h (private): one parsed YAML document -> objects of the typed model.
//
// This is the only place where SMI API versions are visible. Each object is validated
// against the schema of its kind and version (schema.h) and then extracted into the
// version-independent structs of model.h.
#pragma once

#include <string>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/model.h"
#include "meshproof/engine/sources.h"
#include "meshproof/engine/yaml_tree.h"

namespace meshproof {

struct ConvertContext {
  FileId file = kNoFile;
  std::string default_namespace = "default";
  MeshModel* model = nullptr;
  Diagnostics* diags = nullptr;
  /// False for files found by walking a folder: there a document that is not a Kubernetes
  /// object at all (no apiVersion and no kind: package.json, a kustomization) is skipped
  /// and counted; in a file the user named it is MP0002.
  bool named_by_user = true;
};

/// Converts one document: an object, or a `kind: List` (or `*List`) of objects.
void ConvertDocument(const yaml::Node* root, ConvertContext& ctx);

/// After all documents: drops duplicates (MP0005, later wins), reports undeclared
/// namespaces (MP0006) and sorts every container by (namespace, name).
void FinalizeModel(MeshModel* model, const SourceSet& sources, Diagnostics* diags);

}  // namespace meshproof
