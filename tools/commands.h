// The table of `opgraph` subcommands and the dispatcher.
//
// To add a subcommand: write tools/cmd_<name>.cc defining `Command
// <Name>Command()` (declared below), and add it to the table in
// tools/commands.cc. Its `define` function declares its flags on a CLI11
// subcommand with the helpers in tools/flags.h.
#ifndef OPGRAPH_TOOLS_COMMANDS_H_
#define OPGRAPH_TOOLS_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/cli_common.h"

namespace CLI {
class App;
}  // namespace CLI

namespace opgraph {
namespace cli {

// What every subcommand gets besides its own flags.
struct Invocation {
  std::vector<std::string> positional;  // Arguments, in order (count checked).
  std::vector<std::string> plugins;     // --plugin PATH, in order, not loaded yet.
};

// Runs a subcommand whose flags have been parsed. OK exits 0; UsageError()
// exits 2; any other error exits 1 with the message printed as
// "opgraph <name>: error: <message>".
using Runner = std::function<absl::Status(const Invocation&, CliIO&)>;

struct Command {
  std::string name;         // "run"
  std::string summary;      // One line, for `opgraph --help`.
  std::string usage;        // "NET [--init INIT_NET] ...", after "opgraph run ".
  std::string description;  // Paragraphs for `opgraph run --help`.
  int min_positional = 0;
  int max_positional = 0;  // -1: no limit.
  // Declares the subcommand's flags on `app`, bound to state that the
  // returned Runner owns.
  Runner (*define)(CLI::App& app) = nullptr;
};

Command RunCommand();
Command OpsCommand();
Command InspectCommand();
Command DotCommand();
Command ConvertCommand();
Command GradCommand();
Command BenchCommand();

// Every subcommand, in the order `opgraph --help` lists them.
const std::vector<Command>& Commands();
// The subcommand named `name`, or nullptr.
const Command* FindCommand(const std::string& name);

// The help text of the binary (subcommands and exit codes).
std::string MainHelp();
// The help text of `command` (usage line, description, flags).
std::string CommandHelp(const Command& command);

// Runs the command line `args` (without the program name): parses the
// subcommand and its flags, runs it and returns the exit code (ExitCode).
// Writes results to io.out and errors to io.err.
int RunCli(const std::vector<std::string>& args, CliIO& io);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_COMMANDS_H_
