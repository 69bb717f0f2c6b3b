// meshproof-gen-docs OUTDIR: writes the man page and the shell completions from the flag
// tables at build time (installed by `cmake --install`, shipped in the .deb).
#include <cstdio>
#include <fstream>
#include <string>

#include "meshproof/app/commands.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: meshproof-gen-docs OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out << text;
    return static_cast<bool>(out);
  };
  bool ok = write("meshproof.1", meshproof::app::ManPage());
  ok = ok && write("meshproof.bash", *meshproof::app::CompletionScript("bash"));
  ok = ok && write("_meshproof", *meshproof::app::CompletionScript("zsh"));
  ok = ok && write("meshproof.fish", *meshproof::app::CompletionScript("fish"));
  if (!ok) std::fprintf(stderr, "meshproof-gen-docs: cannot write into %s\n", dir.c_str());
  return ok ? 0 : 2;
}
