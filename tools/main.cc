// The `opgraph` command-line tool. All logic lives in tools/commands.cc and
// the tools/cmd_*.cc files it lists.
#include <iostream>
#include <string>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  opgraph::cli::CliIO io{std::cout, std::cerr};
  const int code = opgraph::cli::RunCli(args, io);
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "opgraph: error writing to standard output\n";
    return opgraph::cli::kExitFailure;
  }
  return code;
}
