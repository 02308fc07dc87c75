// `mtrace check URL-or-FILE`: the stream analyzer on the command line.
// Exit codes: 0 analysed, 1 analysis or I/O error, 3 findings at or above --fail-on exist
// (usage errors are reported by the command-line parser).
#pragma once

#include <CLI/CLI.hpp>

namespace mtrace::cli {

void add_check_command(CLI::App& root, int& exit_code);

}  // namespace mtrace::cli
