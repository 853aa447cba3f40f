// opgraph dot NET [-o FILE]
//
// The net as a Graphviz graph: operators as boxes, blobs as ellipses. A blob
// written in place (an operator's output naming one of its inputs) gets a
// new node for its new value, joined by a dashed "in place" edge, so the
// picture stays acyclic.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/model_file.h"
#include "tools/session.h"

extern char** environ;

namespace opgraph {
namespace cli {
namespace {

std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string NetToDot(const NetDef& net) {
  std::string out = absl::StrCat("digraph ", DotQuote(net.name().empty() ? "net" : net.name()),
                                 " {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n"
                                 "  edge [fontname=\"Helvetica\", fontsize=10];\n");
  std::map<std::string, int> version;  // Current value of each blob.
  auto node = [&](const std::string& blob) {
    return DotQuote(absl::StrCat("blob:", blob, ":", version[blob]));
  };
  auto declare = [&](const std::string& blob) {
    absl::StrAppend(&out, "  ", node(blob), " [label=", DotQuote(blob), ", shape=ellipse];\n");
  };
  for (const std::string& in : net.external_input()) {
    if (!version.count(in)) {
      version[in] = 0;
      declare(in);
    }
  }
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    const std::string op_node = DotQuote(absl::StrCat("op:", i));
    std::string label = absl::StrCat("#", i, " ", op.type());
    if (!op.name().empty()) absl::StrAppend(&label, "\n", op.name());
    absl::StrAppend(&out, "  ", op_node, " [label=", DotQuote(label),
                    ", shape=box, style=filled, fillcolor=\"#dde8f8\"];\n");
    for (const std::string& in : op.input()) {
      if (!version.count(in)) {
        version[in] = 0;
        declare(in);
      }
      absl::StrAppend(&out, "  ", node(in), " -> ", op_node, ";\n");
    }
    for (const std::string& o : op.output()) {
      bool inplace = false;
      for (const std::string& in : op.input()) inplace = inplace || in == o;
      if (version.count(o)) {
        const std::string before = node(o);
        ++version[o];
        declare(o);
        if (inplace) {
          absl::StrAppend(&out, "  ", before, " -> ", node(o),
                          " [style=dashed, label=\"in place\", arrowhead=none];\n");
        }
      } else {
        version[o] = 0;
        declare(o);
      }
      absl::StrAppend(&out, "  ", op_node, " -> ", node(o),
                      inplace ? " [style=dashed, label=\"in place\"]" : "", ";\n");
    }
  }
  for (const std::string& o : net.external_output()) {
    if (version.count(o)) {
      absl::StrAppend(&out, "  ", node(o), " [peripheries=2];\n");
    }
  }
  out += "}\n";
  return out;
}

// The `dot` program on PATH, or "".
std::string FindDot() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/dot");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Runs `dot -T<format> -o <out>` with `text` on its standard input. `out`
// is the temporary file of WriteFileAtomicallyWith; messages name `target`.
absl::Status Render(const std::string& text, const std::string& format, const std::string& out,
                    const std::string& target) {
  const std::string dot = FindDot();
  if (dot.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("writing ", target,
                     " needs Graphviz's 'dot' program, which is not on PATH; install it "
                     "(apt-get install graphviz) or write the graph text with -o FILE.dot"));
  }
  int pipefd[2];
  if (pipe(pipefd) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipefd[1]);
  const std::string t_flag = "-T" + format;
  std::vector<char*> argv = {const_cast<char*>(dot.c_str()), const_cast<char*>(t_flag.c_str()),
                             const_cast<char*>("-o"), const_cast<char*>(out.c_str()), nullptr};
  pid_t pid;
  const int rc = posix_spawn(&pid, dot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[0]);
  if (rc != 0) {
    close(pipefd[1]);
    return absl::InternalError(absl::StrCat("cannot run ", dot, ": ", std::strerror(rc)));
  }
  // If dot exits early, a write must fail with EPIPE, not kill us.
  void (*previous)(int) = std::signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(pipefd[1], text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(pipefd[1]);
  std::signal(SIGPIPE, previous);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(dot, " ", t_flag, " -o ", target,
                                            " failed (exit status ",
                                            WIFEXITED(status) ? WEXITSTATUS(status) : -1, ")"));
  }
  return absl::OkStatus();
}

absl::Status Dot(const ValueFlag& output, const Invocation& inv, CliIO& io) {
  const std::string& path = inv.positional[0];
  const std::string& out = output.value;
  std::string format;
  if (!out.empty()) {
    const std::string ext = Extension(out);
    if (ext == ".svg" || ext == ".png" || ext == ".pdf") {
      format = ext.substr(1);
    } else if (ext != ".dot" && ext != ".gv") {
      return UsageError(absl::StrCat("-o ", out, ": unknown extension '", ext,
                                     "' (use .dot or .gv for the text, .svg, .png or .pdf to "
                                     "render with Graphviz)"));
    }
  }
  OPGRAPH_RETURN_IF_ERROR(LoadPlugins(inv.plugins));
  OPGRAPH_ASSIGN_OR_RETURN(ModelFile model, ReadCliModel(path));
  const std::string text = NetToDot(model.net);
  if (out.empty()) {
    io.out << text;
    return absl::OkStatus();
  }
  if (format.empty()) return WriteStringToFile(out, text);
  return WriteFileAtomicallyWith(
      out, [&](const std::string& temp) { return Render(text, format, temp, out); });
}

}  // namespace

Command DotCommand() {
  Command c;
  c.name = "dot";
  c.summary = "Draw a net as a Graphviz graph (text, or SVG/PNG/PDF via 'dot').";
  c.usage = "NET [-o FILE]";
  c.description =
      "Prints NET as a Graphviz digraph: operators are boxes labelled '#index type',\n"
      "blobs are ellipses, external outputs have a double border. A blob an operator\n"
      "overwrites in place gets a new node, joined to its old value and to the operator\n"
      "by dashed edges labelled 'in place'.\n"
      "\n"
      "-o FILE.dot (or .gv) writes the text; -o FILE.svg, .png or .pdf renders it with\n"
      "Graphviz's 'dot' program, which must be on PATH (apt-get install graphviz).";
  c.min_positional = 1;
  c.max_positional = 1;
  c.define = [](CLI::App& app) -> Runner {
    auto output = std::make_shared<ValueFlag>();
    AddValueFlag(app, "-o,--output", output.get(), "FILE", "Write to FILE instead of stdout.");
    return [output](const Invocation& inv, CliIO& io) { return Dot(*output, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
