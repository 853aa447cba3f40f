#include "tools/commands.h"

#include "absl/strings/str_cat.h"
#include "core/plugin.h"

namespace opgraph {
namespace cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      RunCommand(), OpsCommand(), InspectCommand(), DotCommand(), ConvertCommand(),
      GradCommand(), BenchCommand(),
  };
  return *commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<FlagSpec> CommonFlags() {
  return {{"plugin", 0, FlagSpec::Kind::kRepeated, "PATH",
           "Load operators from the plugin library PATH first (docs/PLUGINS.md)."}};
}

absl::Status ApplyCommonFlags(const ParsedArgs& args, CliIO& /*io*/) {
  for (const std::string& path : args.GetAll("plugin")) {
    absl::Status s = LoadPlugin(path);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat("--plugin ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

std::string CommandHelp(const Command& command) {
  std::string out = absl::StrCat("usage: opgraph ", command.name, " ", command.usage, "\n\n",
                                 command.description, "\n\nflags:\n");
  std::vector<FlagSpec> flags = command.flags;
  for (FlagSpec& f : CommonFlags()) flags.push_back(f);
  flags.push_back({"help", 'h', FlagSpec::Kind::kBool, "", "Show this help and exit."});
  for (const FlagSpec& f : flags) {
    std::string left = f.short_name != 0 ? absl::StrCat("-", std::string(1, f.short_name), ", ")
                                         : std::string("    ");
    absl::StrAppend(&left, "--", f.name);
    if (f.kind != FlagSpec::Kind::kBool) absl::StrAppend(&left, " ", f.value_name);
    std::string help = f.help;
    if (f.kind == FlagSpec::Kind::kRepeated) help += " Repeatable.";
    if (left.size() < 26) {
      absl::StrAppend(&out, "  ", left, std::string(26 - left.size(), ' '), help, "\n");
    } else {
      absl::StrAppend(&out, "  ", left, "\n", std::string(28, ' '), help, "\n");
    }
  }
  return out;
}

std::string MainHelp() {
  std::string out =
      "usage: opgraph <subcommand> [arguments] [flags]\n\n"
      "Runs, inspects and converts opgraph (Caffe2-format) nets.\n\nsubcommands:\n";
  for (const Command& c : Commands()) {
    absl::StrAppend(&out, "  ", c.name, std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' '),
                    c.summary, "\n");
  }
  absl::StrAppend(&out,
                  "\nRun 'opgraph <subcommand> --help' for its arguments and flags.\n\n"
                  "exit codes:\n"
                  "  0  success\n"
                  "  1  the command failed (unreadable file, invalid net, operator error, ...)\n"
                  "  2  usage error (unknown subcommand or flag, missing argument, ...)\n");
  return out;
}

int RunCli(const std::vector<std::string>& args, CliIO& io) {
  if (args.empty()) {
    io.err << MainHelp();
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "-h" || first == "--help" || first == "help") {
    if (first == "help" && args.size() > 1) {
      const Command* c = FindCommand(args[1]);
      if (c == nullptr) {
        io.err << "opgraph: unknown subcommand '" << args[1]
               << "'\nRun 'opgraph --help' for the list of subcommands.\n";
        return kExitUsage;
      }
      io.out << CommandHelp(*c);
      return kExitOk;
    }
    io.out << MainHelp();
    return kExitOk;
  }
  if (first == "--version") {
    io.out << "opgraph 0.1.0\n";
    return kExitOk;
  }
  const Command* command = FindCommand(first);
  if (command == nullptr) {
    if (!first.empty() && first[0] == '-') {
      io.err << "opgraph: unknown flag " << first << " (flags go after the subcommand)\n";
    } else {
      io.err << "opgraph: unknown subcommand '" << first << "'\n";
    }
    io.err << "Run 'opgraph --help' for the list of subcommands.\n";
    return kExitUsage;
  }
  const std::string prog = "opgraph " + command->name;
  auto usage_error = [&](const absl::Status& s) {
    io.err << prog << ": " << s.message() << "\nRun '" << prog << " --help' for usage.\n";
    return kExitUsage;
  };
  std::vector<FlagSpec> flags = command->flags;
  for (FlagSpec& f : CommonFlags()) flags.push_back(f);
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(flags, std::vector<std::string>(args.begin() + 1, args.end()));
  if (!parsed.ok()) return usage_error(parsed.status());
  if (parsed->GetBool("help")) {
    io.out << CommandHelp(*command);
    return kExitOk;
  }
  const int n = static_cast<int>(parsed->positional().size());
  if (n < command->min_positional) {
    return usage_error(UsageError(absl::StrCat("missing argument; usage: ", prog, " ",
                                               command->usage)));
  }
  if (command->max_positional >= 0 && n > command->max_positional) {
    return usage_error(UsageError(
        absl::StrCat("unexpected argument '", parsed->positional()[command->max_positional],
                     "'; usage: ", prog, " ", command->usage)));
  }
  absl::Status s = ApplyCommonFlags(*parsed, io);
  if (s.ok()) s = command->run(*parsed, io);
  if (s.ok()) return kExitOk;
  if (IsUsageError(s)) return usage_error(s);
  io.err << prog << ": error: " << s.message() << "\n";
  return kExitFailure;
}

}  // namespace cli
}  // namespace opgraph
