// mtrace: one binary — `serve` (API, live stream, dashboard), `lab` (serve plus a local test
// stream and demo), `check` (the stream analyzer).
#include <CLI/CLI.hpp>

#include "cli/check.h"
#include "cli/lab.h"
#include "cli/serve.h"

int main(int argc, char** argv) {
  CLI::App root{"m-trace: self-hosted observability for live media streaming", "mtrace"};
  root.set_version_flag("--version", MTRACE_VERSION);
  root.require_subcommand(1);
  int exit_code = 0;
  mtrace::cli::add_serve_command(root, exit_code);
  mtrace::cli::add_lab_command(root, exit_code);
  mtrace::cli::add_check_command(root, exit_code);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version print and succeed; every other usage error exits with 2.
    return root.exit(error) == 0 ? 0 : 2;
  }
  return exit_code;
}
