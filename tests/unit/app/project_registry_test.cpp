#include "app/project_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mtrace::app {
namespace {

TEST(ProjectRegistry, ResolvesIngestAndReadTokensSeparately) {
  auto registry = ProjectRegistry::from_json(
      R"([{"id":"shop","ingest_tokens":["public-123"],"read_tokens":["secret-456"],"allowed_origins":["https://a.example"]},
          {"id":"news","ingest_tokens":["public-789"]}])");
  ASSERT_TRUE(registry.ok()) << registry.error().message;
  const auto& projects = registry.value();
  ASSERT_NE(projects.project_for_ingest_token("public-123"), nullptr);
  EXPECT_EQ(projects.project_for_ingest_token("public-123")->id, "shop");
  EXPECT_EQ(projects.project_for_ingest_token("secret-456"), nullptr);  // a read token cannot post
  EXPECT_FALSE(projects.grant_for_read_token("public-123"));          // an ingest token cannot read
  EXPECT_EQ(projects.grant_for_read_token("secret-456")->project_id, "shop");
  EXPECT_EQ(projects.project_for_ingest_token(""), nullptr);
  EXPECT_TRUE(projects.origin_known("https://a.example"));
  EXPECT_FALSE(projects.origin_known("https://b.example"));
  EXPECT_TRUE(ProjectRegistry::origin_allowed(*projects.project_for_ingest_token("public-123"), ""));
}

TEST(ProjectRegistry, ThreadsResolveTokensAtTheSameTime) {
  // Each thread hashes with a context of its own: interleaved lookups never mix two tokens.
  auto registry = ProjectRegistry::from_json(
      R"([{"id":"p0","ingest_tokens":["token-000"]},{"id":"p1","ingest_tokens":["token-111"]},
          {"id":"p2","ingest_tokens":["token-222"]},{"id":"p3","ingest_tokens":["token-333"]}])");
  ASSERT_TRUE(registry.ok()) << registry.error().message;
  const auto& projects = registry.value();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string token = "token-" + std::string(3, char('0' + t));
      const std::string project = "p" + std::to_string(t);
      for (int i = 0; i < 2000; ++i) {
        const auto* found = projects.project_for_ingest_token(token);
        if (found == nullptr || found->id != project) ++wrong;
        if (projects.project_for_ingest_token(token + "x") != nullptr) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ProjectRegistry, TheAdminTokenReadsEveryProject) {
  auto registry = ProjectRegistry::demo({});
  EXPECT_FALSE(registry.grant_for_read_token("admin-token-1"));
  ASSERT_TRUE(registry.set_admin_token("admin-token-1").ok());
  const auto grant = registry.grant_for_read_token("admin-token-1");
  ASSERT_TRUE(grant);
  EXPECT_TRUE(grant->admin());
  EXPECT_TRUE(grant->covers("anything"));
  EXPECT_EQ(registry.grant_for_read_token("demo-token")->project_id, "demo");
}

TEST(ProjectRegistry, RefusesAnAdminTokenThatAProjectHoldsOrThatIsTooShort) {
  auto registry = ProjectRegistry::demo({});
  ASSERT_TRUE(registry.set_admin_token("admin-token-1").ok());
  for (const char* token : {"demo-token", "short", ""}) {
    const auto set = registry.set_admin_token(token);
    if (std::string_view(token).empty()) {
      EXPECT_TRUE(set.ok());  // no admin token
      EXPECT_FALSE(registry.grant_for_read_token("admin-token-1"));
      continue;
    }
    EXPECT_FALSE(set.ok()) << token;
    EXPECT_EQ(registry.grant_for_read_token("demo-token")->project_id, "demo") << token;
    EXPECT_TRUE(registry.grant_for_read_token("admin-token-1")->admin()) << token;  // unchanged
  }
}

TEST(ProjectRegistry, RefusesBadProjectFiles) {
  for (const char* text : {"", "{}", "[]", "[1]", R"([{"id":"bad id!"}])", R"([{"id":"a","ingest_tokens":"x"}])",
                           R"([{"id":"a","ingest_tokens":["short"]}])", R"([{"id":"a"},{"id":"a"}])",
                           R"([{"id":"a","allowed_origins":["*"]}])",
                           R"([{"id":"a","ingest_tokens":["shared-token"]},{"id":"b","ingest_tokens":["shared-token"]}])",
                           R"([{"id":"a","ingest_tokens":["public-token"]},{"id":"b","read_tokens":["public-token"]}])"}) {
    const auto registry = ProjectRegistry::from_json(text);
    EXPECT_FALSE(registry.ok()) << text;
    if (!registry.ok()) {
      EXPECT_FALSE(registry.error().message.empty());
    }
  }
}

TEST(ProjectRegistry, NamesTheProjectsThatReadWithTheirPublicIngestToken) {
  const auto registry = ProjectRegistry::from_json(
      R"([{"id":"open","ingest_tokens":["one-token-for-all"],"read_tokens":["one-token-for-all"]},)"
      R"({"id":"careful","ingest_tokens":["careful-ingest"],"read_tokens":["careful-read"]}])");
  ASSERT_TRUE(registry.ok()) << registry.error().message;
  EXPECT_EQ(registry.value().reads_with_ingest_token(), std::vector<std::string>{"open"});
  const auto grant = registry.value().grant_for_read_token("one-token-for-all");
  ASSERT_TRUE(grant.has_value());
  EXPECT_TRUE(grant->covers("open"));
}

TEST(ProjectRegistry, AddsTheLabsOwnOriginsToEveryProject) {
  auto registry = ProjectRegistry::demo({"https://x.example"});
  registry.allow_origins_everywhere({"http://localhost:8080", "https://x.example"});
  EXPECT_EQ(registry.projects()[0].allowed_origins.size(), 2u);
  EXPECT_TRUE(registry.origin_known("http://localhost:8080"));
}

}  // namespace
}  // namespace mtrace::app
