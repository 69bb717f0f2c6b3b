// Help text and shell completions, both generated from the flag and command tables.
#include <cstdio>
#include <set>

#include "meshproof/app/commands.h"
#include "meshproof/engine/render.h"

namespace meshproof::app {
namespace {

std::string FlagColumn(const FlagSpec& f) {
  std::string s = f.short_name[0] != '\0' ? std::string(f.short_name) + ", " : "    ";
  s += f.name;
  if (f.value[0] != '\0') s += std::string(" ") + f.value;
  return s;
}

std::string Row(const std::string& left, const std::string& right) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "  %-28s %s\n", left.c_str(), right.c_str());
  return buf;
}

const FlagSpec& Flag(const std::string& name) {
  for (const FlagSpec& f : AllFlags()) {
    if (name == f.name) return f;
  }
  return AllFlags().front();  // unreachable: the tables name only known flags
}

const char* kExitCodes =
    "Exit codes: 0 clean, 1 findings at or above --fail-on (query: deny or partial),\n"
    "2 could not run (bad flags, unreadable input, bad configuration), 3 query unknown.\n";

std::string CommandHelp(const CommandSpec& c) {
  std::string out = std::string("meshproof ") + c.name + " - " + c.summary +
                    "\n\nUsage:\n  meshproof " + c.name + " " + c.args + " [flags]\n\nFlags:\n";
  for (const std::string& name : c.flags) {
    const FlagSpec& f = Flag(name);
    std::string help = f.help;
    if (name == "--output") {
      help = "output format: ";
      for (std::size_t i = 0; i < c.formats.size(); ++i) {
        help += (i ? ", " : "") + c.formats[i] + (i == 0 ? " (default)" : "");
      }
    }
    out += Row(FlagColumn(f), help);
  }
  out += "\nExamples:\n";
  for (const std::string& e : c.examples) out += "  " + e + "\n";
  out += std::string("\n") + kExitCodes;
  return out;
}

std::string Bash() {
  std::string out =
      "# bash completion for meshproof (meshproof completion bash)\n"
      "_meshproof() {\n"
      "  local cur prev cmd\n"
      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  cmd=\"${COMP_WORDS[1]}\"\n"
      "  case \"$prev\" in\n";
  for (const FlagSpec& f : AllFlags()) {
    if (f.choices[0] == '\0') continue;
    out += std::string("    ") + f.name + (f.short_name[0] ? std::string("|") + f.short_name : "") +
           ") COMPREPLY=($(compgen -W \"" + f.choices + "\" -- \"$cur\")); return ;;\n";
  }
  out += "  esac\n  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W \"";
  for (const auto& c : AllCommands()) out += std::string(c.name) + " ";
  out += "help version\" -- \"$cur\")); return\n  fi\n  case \"$cmd\" in\n";
  for (const auto& c : AllCommands()) {
    out += std::string("    ") + c.name + ") flags=\"";
    for (const auto& f : c.flags) out += f + " ";
    out += "\" ;;\n";
  }
  out +=
      "    *) flags=\"\" ;;\n  esac\n"
      "  if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"));\n"
      "  else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n}\n"
      "complete -o filenames -F _meshproof meshproof\n";
  return out;
}

std::string Escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else if (c == '[' || c == ']' || c == ':')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

std::string Zsh() {
  std::string out =
      "#compdef meshproof\n# zsh completion for meshproof (meshproof completion zsh)\n"
      "_meshproof() {\n  local -a commands\n  commands=(\n";
  for (const auto& c : AllCommands())
    out += std::string("    '") + c.name + ":" + Escape(c.summary) + "'\n";
  out +=
      "  )\n  if (( CURRENT == 2 )); then _describe command commands; return; fi\n"
      "  case $words[2] in\n";
  for (const auto& c : AllCommands()) {
    out += std::string("    ") + c.name + ") _arguments";
    for (const auto& name : c.flags) {
      const FlagSpec& f = Flag(name);
      std::string action = f.value[0] == '\0' ? "" : std::string(":") + f.value + ":";
      if (f.value[0] != '\0')
        action += f.choices[0] != '\0' ? std::string("(") + f.choices + ")" : "_files";
      out += std::string(" '") + f.name + "[" + Escape(f.help) + "]" + action + "'";
      if (f.short_name[0] != '\0') {
        out += std::string(" '") + f.short_name + "[" + Escape(f.help) + "]" + action + "'";
      }
    }
    out += " '*:file:_files' ;;\n";
  }
  out += "  esac\n}\ncompdef _meshproof meshproof\n";
  return out;
}

std::string Fish() {
  std::string out = "# fish completion for meshproof (meshproof completion fish)\n";
  std::string names;
  for (const auto& c : AllCommands()) names += std::string(c.name) + " ";
  out += "complete -c meshproof -f -n 'not __fish_seen_subcommand_from " + names + "' -a '" +
         names + "'\n";
  for (const auto& c : AllCommands()) {
    for (const auto& name : c.flags) {
      const FlagSpec& f = Flag(name);
      out += std::string("complete -c meshproof -n '__fish_seen_subcommand_from ") + c.name +
             "' -l " + (f.name + 2);
      if (f.short_name[0] != '\0') out += std::string(" -s ") + (f.short_name + 1);
      if (f.value[0] != '\0') out += " -r";
      if (f.choices[0] != '\0') out += std::string(" -a '") + f.choices + "'";
      std::string help = f.help;
      for (char& ch : help) {
        if (ch == '\'') ch = '"';
      }
      out += " -d '" + help + "'\n";
    }
  }
  return out;
}

}  // namespace

std::string HelpText(const CommandSpec* command) {
  if (command != nullptr) return CommandHelp(*command);
  std::string out =
      "meshproof - prove and simulate SMI policy before it reaches a cluster\n\n"
      "Usage:\n  meshproof COMMAND [ARGS] [flags]\n  meshproof COMMAND --help\n\nCommands:\n";
  for (const auto& c : AllCommands()) out += Row(c.name, c.summary);
  out += "\nFlags most commands take (see each command's --help):\n";
  for (const char* name : {"--output", "--output-file", "--namespace", "--profile", "--quiet",
                           "--color", "--help", "--version"}) {
    out += Row(FlagColumn(Flag(name)), Flag(name).help);
  }
  out +=
      "\nPATH is a file, a folder (searched recursively for *.yaml, *.yml, *.json) or - for "
      "stdin.\n\n";
  out += kExitCodes;
  return out;
}

namespace {

// Text for roff: backslashes and leading dots/quotes escaped, dashes as \-.
std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string ManFlags(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    const FlagSpec& f = Flag(name);
    out += ".TP\n.B " + Roff(FlagColumn(f).substr(FlagColumn(f).find_first_not_of(' '))) + "\n" +
           Roff(f.help) + "\n";
  }
  return out;
}

}  // namespace

std::string ManPage() {
  std::string out = std::string(".TH MESHPROOF 1 \"\" \"meshproof ") + MeshproofVersion() +
                    "\" \"User Commands\"\n" +
                    ".SH NAME\nmeshproof \\- prove and simulate SMI policy before it reaches a "
                    "cluster\n.SH SYNOPSIS\n.B meshproof\n.I COMMAND\n[\\fIARGS\\fR] "
                    "[\\fIflags\\fR]\n.SH DESCRIPTION\nmeshproof reads Kubernetes and Service "
                    "Mesh Interface manifests (every SMI version), reports what is wrong with "
                    "stable diagnostic codes at file:line:col, answers who can reach what, diffs "
                    "two policy versions, simulates traffic and predicts Flagger canary "
                    "rollouts.\nPATH is a file, a folder (searched recursively for *.yaml, *.yml "
                    "and *.json) or \\- for standard input.\n.SH COMMANDS\n";
  for (const auto& c : AllCommands()) {
    out += ".SS \"" + Roff(std::string("meshproof ") + c.name + " " + c.args) + "\"\n" +
           Roff(c.summary) + ".\nOutput formats (\\-o): ";
    for (std::size_t i = 0; i < c.formats.size(); ++i) {
      out += (i ? ", " : "") + c.formats[i] + (i == 0 ? " (default)" : "");
    }
    out += ".\n" + ManFlags(c.flags) + ".PP\nExamples:\n";
    for (const std::string& e : c.examples) out += ".RS\n.nf\n" + Roff(e) + "\n.fi\n.RE\n";
  }
  out += ".SH EXIT STATUS\n" + Roff(kExitCodes) +
         ".SH FILES\n.TP\n.B .meshproof.yaml\nSettings beside the inputs: profile, failOn, "
         "suppressions, severity overrides, intents, solverTimeoutMs.\n"
         ".SH ENVIRONMENT\n.TP\n.B NO_COLOR\nWhen set and not empty, \\-\\-color auto never "
         "colours.\n.SH SEE ALSO\nmeshproof codes (the diagnostic catalog), python3 \\-m "
         "meshproof (the same commands from the Python package).\n";
  return out;
}

StatusOr<std::string> CompletionScript(const std::string& shell) {
  if (shell == "bash") return Bash();
  if (shell == "zsh") return Zsh();
  if (shell == "fish") return Fish();
  return Status::InvalidArgument("completion needs bash, zsh or fish, not '" + shell + "'");
}

}  // namespace meshproof::app
