#pragma once

#include <CLI/CLI.hpp>

namespace mtrace::cli {

// `mtrace serve`: the API server with the embedded dashboard.
void add_serve_command(CLI::App& root, int& exit_code);

}  // namespace mtrace::cli
