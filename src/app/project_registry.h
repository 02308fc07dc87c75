// ProjectRegistry: the projects file of SPEC §8 — who may post events, who may read, and from
// which browser origins. Tokens are kept only as SHA-256 digests and compared in constant time.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.h"

namespace mtrace::app {

struct Project {
  std::string id;
  std::vector<std::string> allowed_origins;  // exact "scheme://host[:port]" strings
};

// What a read token grants: one project, or every project (the admin token).
struct ReadGrant {
  std::optional<std::string> project_id;  // nullopt: admin, every project
  bool admin() const { return !project_id.has_value(); }
  bool covers(std::string_view project) const { return admin() || *project_id == project; }
};

class ProjectRegistry {
 public:
  // Parses `[{"id":"demo","ingest_tokens":["…"],"read_tokens":["…"],"allowed_origins":["…"]}]`.
  // Errors (ErrorCode::invalid_argument) name the entry and field at fault. Ids must match
  // ^[A-Za-z0-9_.-]{1,64}$, tokens must be 8..256 bytes, and a token, ingest or read, may belong
  // to one project only.
  static domain::Result<ProjectRegistry> from_json(std::string_view text);

  // The built-in `demo` project with `demo-token` as ingest and read token (no projects file).
  static ProjectRegistry demo(std::vector<std::string> allowed_origins);

  // MTRACE_ADMIN_TOKEN: reads every project. Empty: no admin token. Refused (invalid_argument,
  // nothing changed) unless 8..256 bytes long and no project's ingest or read token: a shared one
  // would give every project's data to whoever holds that project's token.
  domain::Status set_admin_token(std::string_view token);

  // Adds origins to every project (the lab's own origins). Duplicates are ignored.
  void allow_origins_everywhere(const std::vector<std::string>& origins);

  // The project an ingest token belongs to; nullptr when unknown. Thread-safe (const).
  const Project* project_for_ingest_token(std::string_view token) const;
  // What a read token grants; nullopt when unknown.
  std::optional<ReadGrant> grant_for_read_token(std::string_view token) const;

  // Whether `origin` is listed by `project`. An empty origin (no Origin header) is allowed.
  static bool origin_allowed(const Project& project, std::string_view origin);
  // Whether any project lists `origin` (CORS answers for routes not tied to one project).
  bool origin_known(std::string_view origin) const;

  const std::vector<Project>& projects() const { return projects_; }
  // Projects that list a token both to ingest and to read. Ingest tokens are public (they sit in
  // player pages), so anyone who sees one of their pages can read their sessions: worth a warning.
  const std::vector<std::string>& reads_with_ingest_token() const { return reads_with_ingest_token_; }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct TokenEntry {
    Digest digest;
    std::size_t project_index;
  };
  static Digest digest_of(std::string_view token);
  static const TokenEntry* find(const std::vector<TokenEntry>& entries, const Digest& digest);

  std::vector<Project> projects_;
  std::vector<TokenEntry> ingest_tokens_;
  std::vector<TokenEntry> read_tokens_;
  std::vector<std::string> reads_with_ingest_token_;
  std::optional<Digest> admin_digest_;
};

}  // namespace mtrace::app
