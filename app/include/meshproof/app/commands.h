// commands.h: the command line as data. One table of flags and one per command; parsing,
// `meshproof CMD --help`, shell completions (and, later, the man page) all read them, so
// they cannot disagree.
#pragma once

#include <string>
#include <vector>

#include "meshproof/app/request.h"
#include "meshproof/engine/status.h"

namespace meshproof::app {

struct FlagSpec {
  const char* name;        // "--fail-on"
  const char* short_name;  // "-o", or "" when none
  const char* value;       // "LEVEL", or "" for a switch
  const char* choices;     // space-separated values for completion, or ""
  const char* help;
};

struct CommandSpec {
  Command command;
  const char* name;
  const char* args;                   // "PATH..." after the command name in the synopsis
  const char* summary;                // one line
  std::vector<std::string> flags;     // names of the flags it takes (FlagSpec::name)
  std::vector<std::string> formats;   // output formats, the first is the default
  std::vector<std::string> examples;  // two, shown by --help
};

const std::vector<FlagSpec>& AllFlags();
const std::vector<CommandSpec>& AllCommands();
/// nullptr when `name` is not a command.
const CommandSpec* FindCommand(const std::string& name);

/// Parses argv (without the program name). Bad usage is an InvalidArgument Status whose
/// message is one line for the user (with a hint where one helps). Does not touch the file
/// system: checking inputs is the command's job.
StatusOr<Request> ParseCommandLine(const std::vector<std::string>& args);

/// `meshproof --help` (no command) or `meshproof CMD --help`.
std::string HelpText(const CommandSpec* command);
/// The manual page meshproof(1) in roff (man(7)), from the same tables as --help.
std::string ManPage();
/// A completion script for "bash", "zsh" or "fish"; InvalidArgument otherwise.
StatusOr<std::string> CompletionScript(const std::string& shell);

}  // namespace meshproof::app
