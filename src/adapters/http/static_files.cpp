#include "adapters/http/static_files.h"

#include <fstream>
#include <iterator>

namespace mtrace::adapters::http {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool safe_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string_view::npos) return false;
  return path.find("/../") == std::string_view::npos && !ends_with(path, "/..") &&
         path.find('\\') == std::string_view::npos;
}

Response file_response(std::string_view path, std::string body) {
  Response response;
  response.content_type = std::string(content_type_for(path));
  response.body = std::move(body);
  // Hashed asset names never change; everything else is revalidated.
  const bool immutable = path.starts_with("/assets/");
  response.with_header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.with_header("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},          {".map", "application/json"},
      {".svg", "image/svg+xml"},              {".png", "image/png"},
      {".ico", "image/x-icon"},               {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (ends_with(path, extension)) return type;
  }
  return "application/octet-stream";
}

StaticFiles StaticFiles::embedded(std::span<const EmbeddedFile> files) {
  StaticFiles tree;
  for (const auto& file : files) tree.files_.emplace(file.path, file.bytes);
  return tree;
}

StaticFiles StaticFiles::directory(std::string root) {
  StaticFiles tree;
  tree.root_ = std::move(root);
  return tree;
}

std::optional<Response> StaticFiles::file(std::string_view path) const {
  if (path == "/") path = "/index.html";
  if (!safe_path(path)) return std::nullopt;
  if (!root_.empty()) {
    std::ifstream in(root_ + std::string(path), std::ios::binary);
    if (!in) return std::nullopt;
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return file_response(path, std::move(body));
  }
  const auto found = files_.find(path);
  if (found == files_.end()) return std::nullopt;
  return file_response(path, std::string(found->second));
}

}  // namespace mtrace::adapters::http
