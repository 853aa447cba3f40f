// The table of `opgraph` subcommands and the dispatcher.
//
// To add a subcommand: write tools/cmd_<name>.cc defining `Command
// <Name>Command()` (declared below), and add it to the table in
// tools/commands.cc. A flag every subcommand takes goes in CommonFlags() in
// tools/commands.cc, with its handling in ApplyCommonFlags() there.
#ifndef OPGRAPH_TOOLS_COMMANDS_H_
#define OPGRAPH_TOOLS_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/cli_common.h"

namespace opgraph {
namespace cli {

struct Command {
  std::string name;         // "run"
  std::string summary;      // One line, for `opgraph --help`.
  std::string usage;        // "NET [--init INIT_NET] ...", after "opgraph run ".
  std::string description;  // Paragraphs for `opgraph run --help`.
  std::vector<FlagSpec> flags;
  int min_positional = 0;
  int max_positional = 0;  // -1: no limit.
  // Runs the subcommand. OK exits 0; UsageError() exits 2; any other error
  // exits 1 with the message printed as "opgraph <name>: error: <message>".
  absl::Status (*run)(const ParsedArgs& args, CliIO& io) = nullptr;
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

// Flags every subcommand accepts (besides -h/--help), and what to do with
// them before the subcommand runs.
std::vector<FlagSpec> CommonFlags();
absl::Status ApplyCommonFlags(const ParsedArgs& args, CliIO& io);

// The help text of `command` (usage line, description, flags).
std::string CommandHelp(const Command& command);
// The help text of the binary (subcommands and exit codes).
std::string MainHelp();

// Runs the command line `args` (without the program name): parses the
// subcommand and its flags, runs it and returns the exit code (ExitCode).
// Writes results to io.out and errors to io.err.
int RunCli(const std::vector<std::string>& args, CliIO& io);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_COMMANDS_H_
