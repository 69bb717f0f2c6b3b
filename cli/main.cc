// meshproof: the command-line front door. All of it lives in the application layer
// (app/main.cc), shared with `python3 -m meshproof`; this file only hands it argv.
#include "meshproof/app/main.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  try {
    return meshproof::app::RunCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    // Libraries return Status; reaching here is a bug. Say so in one line.
    std::fprintf(stderr, "meshproof: internal error: %s\n", e.what());
    return 2;
  }
}
