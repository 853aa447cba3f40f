#include "tools/commands.h"

#include <algorithm>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/plugin_config.h"
#include "tools/flags.h"

namespace opgraph {
namespace cli {
namespace {

constexpr char kPluginHelp[] =
    "Load operators from the plugin library PATH first (docs/PLUGINS.md).";

// One subcommand declared on a CLI11 app, with what its flags fill.
struct Declared {
  const Command* command = nullptr;
  CLI::App* app = nullptr;
  Runner run;
  std::vector<std::string> positional;
  std::vector<std::string> plugins;
  bool help = false;
};

// Declares `command` as a subcommand of `parent`. The flag order here is
// the order of the help text: the subcommand's own, --plugin, --help.
void Declare(CLI::App& parent, const Command& command, Declared* d) {
  d->command = &command;
  d->app = parent.add_subcommand(command.name, command.summary);
  d->app->set_help_flag();
  d->app->add_option("args", d->positional);
  d->run = command.define(*d->app);
  AddRepeatedFlag(*d->app, "--plugin", &d->plugins, "PATH", kPluginHelp);
  AddBoolFlag(*d->app, "-h,--help", &d->help, "Show this help and exit.");
}

// The words CLI11 parses, and those after "--", which are arguments
// whatever they look like. CLI11 2.1.2 reads "-o=x" as the value "=x"
// where opgraph documents "-o x", and hands a subcommand's "--" back to the
// main app, so both are settled here.
void SplitWords(const std::vector<std::string>& args, std::vector<std::string>* words,
                std::vector<std::string>* after_dashes) {
  bool dashes = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (dashes) {
      after_dashes->push_back(a);
    } else if (i > 0 && a == "--") {
      dashes = true;
    } else if (a.size() >= 3 && a[0] == '-' && a[1] != '-' && a[2] == '=') {
      words->push_back(a.substr(0, 2));
      words->push_back(a.substr(3));
    } else {
      words->push_back(a);
    }
  }
}

// How opgraph names a flag in messages: "-o" when it has a short name.
std::string FlagLabel(const CLI::Option& opt) {
  if (!opt.get_snames().empty()) return "-" + opt.get_snames()[0];
  return "--" + opt.get_lnames()[0];
}

// A CLI11 parse error of subcommand `app` in opgraph's words.
std::string DescribeParseError(const CLI::ParseError& e, const CLI::App& app,
                               const CLI::App& main) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    std::vector<std::string> extras = app.remaining(false);
    if (extras.empty()) extras = main.remaining(false);
    if (!extras.empty()) {
      const std::string& x = extras[0];
      if (x.size() > 1 && x[0] == '-') return "unknown flag " + x.substr(0, x.find('='));
      return absl::StrCat("unexpected argument '", x, "'");
    }
  }
  const std::string what = e.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr ||
      dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    for (const CLI::Option* opt : app.get_options()) {
      if (opt->get_positional() || opt->get_lnames().empty()) continue;
      const std::string label = FlagLabel(*opt);
      const std::string& lname = opt->get_lnames()[0];
      if (absl::StartsWith(what, lname + " was given a disallowed flag override")) {
        return absl::StrCat("flag ", label, " takes no value");
      }
      // Parse errors start with the option's name; a check's (an empty
      // value) with its long flag.
      if (!absl::StartsWith(what, opt->get_name() + ": ") &&
          !absl::StartsWith(what, "--" + lname + ": ")) {
        continue;
      }
      if (absl::StrContains(what, "At Most")) {
        return absl::StrCat("flag ", label, " is given more than once");
      }
      if (absl::StrContains(what, " missing")) {
        return absl::StrCat("flag ", label, " needs a value (", opt->get_type_name(), ")");
      }
    }
  }
  return what;
}

int UsageExit(CliIO& io, const std::string& prog, const std::string& message) {
  io.err << prog << ": " << message << "\nRun '" << prog << " --help' for usage.\n";
  return kExitUsage;
}

// Everything after the subcommand's name is known: parse, check, run.
int RunSubcommand(const std::vector<std::string>& args, CliIO& io) {
  CLI::App main("", "opgraph");
  main.set_help_flag();
  main.require_subcommand(1, 1);
  std::vector<std::unique_ptr<Declared>> declared;
  Declared* chosen = nullptr;
  for (const Command& c : Commands()) {
    declared.push_back(std::make_unique<Declared>());
    Declare(main, c, declared.back().get());
    if (c.name == args[0]) chosen = declared.back().get();
  }
  const std::string prog = "opgraph " + chosen->command->name;
  std::vector<std::string> words, after_dashes;
  SplitWords(args, &words, &after_dashes);
  std::reverse(words.begin(), words.end());  // CLI11 takes them last first.
  try {
    main.parse(words);
  } catch (const CLI::ParseError& e) {
    return UsageExit(io, prog, DescribeParseError(e, *chosen->app, main));
  }
  if (chosen->help) {
    io.out << CommandHelp(*chosen->command);
    return kExitOk;
  }
  Invocation inv{chosen->positional, chosen->plugins};
  inv.positional.insert(inv.positional.end(), after_dashes.begin(), after_dashes.end());
  const Command& command = *chosen->command;
  const int n = static_cast<int>(inv.positional.size());
  if (n < command.min_positional) {
    return UsageExit(io, prog, absl::StrCat("missing argument; usage: ", prog, " ", command.usage));
  }
  if (command.max_positional >= 0 && n > command.max_positional) {
    return UsageExit(io, prog,
                     absl::StrCat("unexpected argument '", inv.positional[command.max_positional],
                                  "'; usage: ", prog, " ", command.usage));
  }
  absl::Status s = chosen->run(inv, io);
  if (s.ok()) return kExitOk;
  if (IsUsageError(s)) return UsageExit(io, prog, std::string(s.message()));
  io.err << prog << ": error: " << s.message() << "\n";
  return kExitFailure;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      RunCommand(),     OpsCommand(),  InspectCommand(), DotCommand(),
      ConvertCommand(), GradCommand(), BenchCommand(),
  };
  return *commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string CommandHelp(const Command& command) {
  CLI::App main("", "opgraph");
  Declared d;
  Declare(main, command, &d);
  std::string out = absl::StrCat("usage: opgraph ", command.name, " ", command.usage, "\n\n",
                                 command.description, "\n\nflags:\n");
  for (const CLI::Option* opt : d.app->get_options()) {
    if (opt->get_positional()) continue;
    std::string left = opt->get_snames().empty() ? std::string("    ")
                                                 : absl::StrCat("-", opt->get_snames()[0], ", ");
    absl::StrAppend(&left, "--", opt->get_lnames()[0]);
    if (opt->get_expected_max() > 0) absl::StrAppend(&left, " ", opt->get_type_name());
    std::string help = opt->get_description();
    if (opt->get_expected_max() > 1) help += " Repeatable.";
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
    absl::StrAppend(&out, "  ", c.name,
                    std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' '), c.summary, "\n");
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
  std::vector<std::string> words = args;
  const std::string first = args[0];
  if (first == "help" && args.size() > 1) {
    // `opgraph help NAME` is `opgraph NAME --help`.
    words = {args[1], "--help"};
  } else if (first == "-h" || first == "--help" || first == "help") {
    io.out << MainHelp();
    return kExitOk;
  } else if (first == "--version") {
    io.out << "opgraph " << OPGRAPH_VERSION_STRING << "\n";
    return kExitOk;
  }
  if (FindCommand(words[0]) == nullptr) {
    if (!words[0].empty() && words[0][0] == '-') {
      io.err << "opgraph: unknown flag " << words[0] << " (flags go after the subcommand)\n";
    } else {
      io.err << "opgraph: unknown subcommand '" << words[0] << "'\n";
    }
    io.err << "Run 'opgraph --help' for the list of subcommands.\n";
    return kExitUsage;
  }
  return RunSubcommand(words, io);
}

}  // namespace cli
}  // namespace opgraph
