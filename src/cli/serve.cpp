#include "cli/serve.h"

#include "cli/server_runtime.h"

namespace mtrace::cli {

void add_serve_command(CLI::App& root, int& exit_code) {
  auto* command = root.add_subcommand("serve", "Run the API, the live stream and the dashboard");
  auto settings = std::make_shared<ServeSettings>();
  add_serve_options(*command, *settings);
  command->callback([settings, &exit_code] { exit_code = run_server(*settings); });
}

}  // namespace mtrace::cli
