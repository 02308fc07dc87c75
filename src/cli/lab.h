// `mtrace lab`: `serve` plus a live FFmpeg test stream served at /lab/ and the demo project.
#pragma once

#include <CLI/CLI.hpp>

namespace mtrace::cli {

void add_lab_command(CLI::App& root, int& exit_code);

}  // namespace mtrace::cli
