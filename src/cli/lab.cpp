#include "cli/lab.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "adapters/lab/lab_stream.h"
#include "adapters/lab/media_origin.h"
#include "adapters/lab/process_supervisor.h"
#include "cli/json_log.h"
#include "cli/server_runtime.h"

namespace mtrace::cli {
namespace {

namespace fs = std::filesystem;
namespace lab = adapters::lab;

struct LabSettings {
  ServeSettings serve;
  std::string ffmpeg = "ffmpeg";
  std::string media_dir;  // empty: a fresh temporary folder, removed on exit
};

// The media folder's path goes into FFmpeg's tee syntax, where these characters are separators.
bool usable_in_tee(const std::string& path) { return path.find_first_of(":|[]\\'") == std::string::npos; }

std::optional<std::string> make_media_dir(const std::string& requested) {
  std::error_code error;
  if (!requested.empty()) {
    fs::create_directories(requested, error);
    if (error) return std::nullopt;
    return fs::absolute(requested, error).lexically_normal().string();
  }
  std::string pattern = (fs::temp_directory_path(error) / "mtrace-lab-XXXXXX").string();
  if (error || ::mkdtemp(pattern.data()) == nullptr) return std::nullopt;
  return pattern;
}

int run_lab(const LabSettings& settings) {
  const auto media_dir = make_media_dir(settings.media_dir);
  if (!media_dir) {
    log_error("cannot create the lab media folder", {{"media_dir", settings.media_dir}});
    return 1;
  }
  const bool remove_media_dir = settings.media_dir.empty();
  if (!usable_in_tee(*media_dir)) {
    log_error("the lab media folder path must not contain : | [ ] \\ or '", {{"media_dir", *media_dir}});
    return 1;
  }
  std::error_code ignored;
  const auto database_folder = fs::path(settings.serve.sqlite_path).parent_path();
  if (!database_folder.empty()) fs::create_directories(database_folder, ignored);

  auto origin = std::make_shared<lab::LabMediaOrigin>(*media_dir);
  auto supervisor = std::make_shared<lab::ProcessSupervisor>(lab::SupervisorOptions{
      .program = settings.ffmpeg,
      .arguments = [dir = *media_dir](int generation) { return lab::lab_ffmpeg_arguments(dir, generation); },
      .before_start = [dir = *media_dir](int generation) { lab::prepare_lab_media_dir(dir, generation); },
      .log = [](std::string_view line) { log_warn("ffmpeg", {{"line", line}}); },
  });

  ServerExtension extension;
  extension.mounts.push_back({std::string(lab::kLabPrefix) + "/", [origin](auto& request, auto exchange) {
                                origin->handle(request, std::move(exchange));
                              }});
  extension.config = {{"lab", true},
                      {"lab_streams", {{"hls", "/lab/hls/master.m3u8"},
                                       {"hls_ts", "/lab/hls-ts/master.m3u8"},
                                       {"dash", "/lab/dash/manifest.mpd"}}}};
  // The demo token is only known to be valid when the demo project is in use.
  if (settings.serve.projects_file.empty()) extension.config["demo_token"] = "demo-token";
  extension.status = [supervisor] {
    const auto status = supervisor->status();
    boost::json::object body{{"ffmpeg", lab::to_string(status.state)},
                             {"restarts", status.restarts},
                             {"last_error", status.last_error}};
    body["pid"] = status.pid ? boost::json::value(*status.pid) : boost::json::value(nullptr);
    return body;
  };
  extension.own_origins = [](std::uint16_t port) {
    const std::string suffix = ":" + std::to_string(port);
    return std::vector<std::string>{"http://localhost" + suffix, "http://127.0.0.1" + suffix, "http://[::1]" + suffix};
  };
  extension.on_listening = [supervisor, dir = *media_dir](std::uint16_t port) {
    log_info("lab: open the demo", {{"url", "http://localhost:" + std::to_string(port) + "/demo"}, {"media_dir", dir}});
    supervisor->start();
  };
  extension.on_shutdown = [supervisor, origin] {
    origin->release_delayed();
    supervisor->stop();
  };

  const int exit_code = run_server(settings.serve, std::move(extension));
  supervisor->stop();
  if (remove_media_dir) fs::remove_all(*media_dir, ignored);
  return exit_code;
}

}  // namespace

void add_lab_command(CLI::App& root, int& exit_code) {
  auto* command = root.add_subcommand(
      "lab", "Run the server with a local FFmpeg test stream (HLS fMP4, HLS MPEG-TS, DASH) at /lab/ and a demo");
  auto settings = std::make_shared<LabSettings>();
  settings->serve.sqlite_path = ".mtrace-lab/mtrace.db";
  add_serve_options(*command, settings->serve);
  command->add_option("--ffmpeg", settings->ffmpeg, "FFmpeg program (a path, or a name looked up in PATH)")
      ->capture_default_str();
  command->add_option("--media-dir", settings->media_dir,
                      "Folder for the stream's files (default: a temporary folder removed on exit)");
  command->callback([settings, &exit_code] { exit_code = run_lab(*settings); });
}

}  // namespace mtrace::cli
