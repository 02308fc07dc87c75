// StaticFiles: serves a tree of files (the dashboard, the SDK bundles) from memory — embedded in
// the binary at build time — or from a folder on disk while developing.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "adapters/http/exchange.h"

namespace mtrace::adapters::http {

struct EmbeddedFile {
  std::string_view path;  // "/index.html", "/assets/app-1a2b.js"
  std::string_view bytes;
};

// The content type for a file name, by extension ("application/octet-stream" when unknown).
std::string_view content_type_for(std::string_view path);

class StaticFiles {
 public:
  static StaticFiles embedded(std::span<const EmbeddedFile> files);
  static StaticFiles directory(std::string root);

  // The file at `path` (relative to the tree, starting with '/'), or nullopt. "/" means
  // "/index.html". Paths with ".." segments or NUL are refused. Thread-safe.
  std::optional<Response> file(std::string_view path) const;
  bool empty() const { return files_.empty() && root_.empty(); }

 private:
  std::unordered_map<std::string_view, std::string_view> files_;
  std::string root_;
};

}  // namespace mtrace::adapters::http
