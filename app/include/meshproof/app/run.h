// run.h: executing a Request. Never throws; every failure is an Outcome with exit code 2
// and a message.
#pragma once

#include "meshproof/app/request.h"
#include "meshproof/engine/loader.h"

namespace meshproof::app {

/// Runs `request` end to end: loads its inputs, resolves settings, runs the command and
/// renders the result in request.format. Does not write anything: the caller prints
/// Outcome::output or writes it with WriteOutput.
Outcome Run(const Request& request);

/// The same for verify, reach, query and model over manifests already loaded from
/// `request.paths` (the Python Mesh object): settings are resolved exactly as Run does.
Outcome RunLoaded(const Request& request, LoadResult loaded);

/// The folder SARIF URIs are relative to (%SRCROOT%): the git work tree containing the
/// current directory, else the current directory. Absolute, ending in '/'.
std::string SourceRoot();

}  // namespace meshproof::app
