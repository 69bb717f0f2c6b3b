// main.h: the whole command line as one call.
#pragma once

#include <string>
#include <vector>

namespace meshproof::app {

/// Runs `args` (argv without the program name) as the `meshproof` binary does: the result
/// goes to standard output or --output-file, problems to standard error (file
/// descriptors 1 and 2), and the return value is the exit code (docs/cli.md). Colour and
/// the progress bar follow the terminals on those descriptors. Never throws.
int RunCommandLine(const std::vector<std::string>& args);

}  // namespace meshproof::app
