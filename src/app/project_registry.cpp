#include "app/project_registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <memory>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace mtrace::app {
namespace {

using domain::Error;
using domain::ErrorCode;

bool valid_project_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

Error invalid(std::string message) { return {ErrorCode::invalid_argument, std::move(message)}; }

domain::Result<std::vector<std::string>> string_list(const boost::json::object& entry,
                                                     std::string_view field, std::size_t index) {
  std::vector<std::string> out;
  const auto* value = entry.if_contains(field);
  if (value == nullptr) return out;
  const auto* array = value->if_array();
  if (array == nullptr) {
    return invalid("projects[" + std::to_string(index) + "]." + std::string(field) + " must be an array");
  }
  for (const auto& item : *array) {
    const auto* text = item.if_string();
    if (text == nullptr) {
      return invalid("projects[" + std::to_string(index) + "]." + std::string(field) +
                     " must hold strings");
    }
    out.emplace_back(*text);
  }
  return out;
}

}  // namespace

// Every request hashes its token: OpenSSL 3's one-shot SHA256() fetches the algorithm on each call,
// four times the hashing of a short token, so the algorithm is fetched once and each thread
// reuses one context (~0.9 -> 0.2 us per token).
ProjectRegistry::Digest ProjectRegistry::digest_of(std::string_view token) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                                     &EVP_MD_CTX_free);
  Digest digest{};
  unsigned int length = 0;
  if (sha256 == nullptr || context == nullptr || EVP_DigestInit_ex2(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), token.data(), token.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  }
  return digest;
}

const ProjectRegistry::TokenEntry* ProjectRegistry::find(const std::vector<TokenEntry>& entries,
                                                         const Digest& digest) {
  // Every entry is compared, in constant time each, so timing says nothing about which matched.
  const TokenEntry* found = nullptr;
  for (const auto& entry : entries) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) found = &entry;
  }
  return found;
}

domain::Result<ProjectRegistry> ProjectRegistry::from_json(std::string_view text) {
  boost::system::error_code ec;
  auto root = boost::json::parse(text, ec);
  if (ec) return invalid("projects file is not valid JSON: " + ec.message());
  const auto* list = root.if_array();
  if (list == nullptr || list->empty()) return invalid("projects file must be a non-empty JSON array");

  ProjectRegistry registry;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto* entry = (*list)[i].if_object();
    const std::string where = "projects[" + std::to_string(i) + "]";
    if (entry == nullptr) return invalid(where + " must be an object");
    const auto* id = entry->if_contains("id");
    if (id == nullptr || !id->is_string() || !valid_project_id(id->get_string())) {
      return invalid(where + ".id must match ^[A-Za-z0-9_.-]{1,64}$");
    }
    Project project{std::string(id->get_string()), {}};
    for (const auto& other : registry.projects_) {
      if (other.id == project.id) return invalid(where + ".id '" + project.id + "' is listed twice");
    }
    auto ingest = string_list(*entry, "ingest_tokens", i);
    auto read = string_list(*entry, "read_tokens", i);
    auto origins = string_list(*entry, "allowed_origins", i);
    for (auto* result : {&ingest, &read, &origins}) {
      if (!result->ok()) return result->error();
    }
    if (origins.value().end() != std::find(origins.value().begin(), origins.value().end(), "*")) {
      return invalid(where + ".allowed_origins must list origins, not '*'");
    }
    project.allowed_origins = std::move(origins.value());
    const std::size_t index = registry.projects_.size();
    bool reads_with_ingest_token = false;
    for (auto [tokens, table] : {std::pair{&ingest.value(), &registry.ingest_tokens_},
                                 std::pair{&read.value(), &registry.read_tokens_}}) {
      for (const auto& token : *tokens) {
        if (token.size() < 8 || token.size() > 256) {
          return invalid(where + ": tokens must be 8 to 256 bytes long");
        }
        const auto digest = digest_of(token);
        // Another project's token of either kind would let this one post or read as that one.
        for (const auto* listed : {&registry.ingest_tokens_, &registry.read_tokens_}) {
          const auto* existing = find(*listed, digest);
          if (existing == nullptr) continue;
          if (existing->project_index != index) {
            return invalid(where + ": a token is shared with project '" +
                           registry.projects_[existing->project_index].id + "'");
          }
          if (listed != table) reads_with_ingest_token = true;
        }
        table->push_back({digest, index});
      }
    }
    if (reads_with_ingest_token) registry.reads_with_ingest_token_.push_back(project.id);
    registry.projects_.push_back(std::move(project));
  }
  return registry;
}

ProjectRegistry ProjectRegistry::demo(std::vector<std::string> allowed_origins) {
  ProjectRegistry registry;
  registry.projects_.push_back({"demo", std::move(allowed_origins)});
  registry.ingest_tokens_.push_back({digest_of("demo-token"), 0});
  registry.read_tokens_.push_back({digest_of("demo-token"), 0});
  return registry;
}

domain::Status ProjectRegistry::set_admin_token(std::string_view token) {
  if (token.empty()) {
    admin_digest_.reset();
    return domain::Ok{};
  }
  if (token.size() < 8 || token.size() > 256) return invalid("the admin token must be 8 to 256 bytes long");
  const auto digest = digest_of(token);
  for (const auto* listed : {&ingest_tokens_, &read_tokens_}) {
    if (const auto* existing = find(*listed, digest)) {
      return invalid("the admin token is also a token of project '" + projects_[existing->project_index].id + "'");
    }
  }
  admin_digest_ = digest;
  return domain::Ok{};
}

void ProjectRegistry::allow_origins_everywhere(const std::vector<std::string>& origins) {
  for (auto& project : projects_) {
    for (const auto& origin : origins) {
      auto& list = project.allowed_origins;
      if (std::find(list.begin(), list.end(), origin) == list.end()) list.push_back(origin);
    }
  }
}

const Project* ProjectRegistry::project_for_ingest_token(std::string_view token) const {
  if (token.empty()) return nullptr;
  const auto* entry = find(ingest_tokens_, digest_of(token));
  return entry == nullptr ? nullptr : &projects_[entry->project_index];
}

std::optional<ReadGrant> ProjectRegistry::grant_for_read_token(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const auto digest = digest_of(token);
  if (admin_digest_ && CRYPTO_memcmp(admin_digest_->data(), digest.data(), digest.size()) == 0) {
    return ReadGrant{std::nullopt};
  }
  const auto* entry = find(read_tokens_, digest);
  if (entry == nullptr) return std::nullopt;
  return ReadGrant{projects_[entry->project_index].id};
}

bool ProjectRegistry::origin_allowed(const Project& project, std::string_view origin) {
  if (origin.empty()) return true;
  const auto& list = project.allowed_origins;
  return std::find(list.begin(), list.end(), origin) != list.end();
}

bool ProjectRegistry::origin_known(std::string_view origin) const {
  return std::any_of(projects_.begin(), projects_.end(), [&](const Project& project) {
    return !origin.empty() && origin_allowed(project, origin);
  });
}

}  // namespace mtrace::app
