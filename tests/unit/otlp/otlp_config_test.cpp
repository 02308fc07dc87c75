// The OTEL_* environment variables the exporter honours, and the sampler they choose.
#include "adapters/otlp/otlp_config.h"

#include <gtest/gtest.h>

#include <map>

namespace mtrace::adapters::otlp {
namespace {

Environment env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    const auto it = values.find(std::string{name});
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

ExporterConfig enabled(std::map<std::string, std::string> values) {
  auto result = config_from_environment(env(std::move(values)));
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok() || !result.value()) {
    ADD_FAILURE() << "export is off";
    return {};
  }
  return *result.value();
}

std::string error_of(std::map<std::string, std::string> values) {
  auto result = config_from_environment(env(std::move(values)));
  EXPECT_FALSE(result.ok());
  return result.ok() ? "" : result.error().message;
}

TEST(OtlpConfig, OffUnlessAskedFor) {
  for (const auto& values : std::vector<std::map<std::string, std::string>>{
           {},
           {{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}},
           {{"OTEL_SDK_DISABLED", "true"}, {"OTEL_TRACES_EXPORTER", "otlp"}},
           {{"OTEL_EXPORTER_OTLP_ENDPOINT", ""}}}) {
    auto result = config_from_environment(env(values));
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(result.value().has_value());
  }
}

TEST(OtlpConfig, EndpointsAndDefaults) {
  auto config = enabled({{"OTEL_TRACES_EXPORTER", "otlp"}});
  EXPECT_EQ(config.endpoint.host, "localhost");
  EXPECT_EQ(config.endpoint.port, 4318);
  EXPECT_EQ(config.endpoint.target, "/v1/traces");
  ASSERT_FALSE(config.resource.empty());
  EXPECT_EQ(config.resource[0].key, "service.name");
  EXPECT_EQ(std::get<std::string>(config.resource[0].value), "mtrace");
  EXPECT_TRUE(config.sampler.parent_based);
  EXPECT_EQ(config.sampler.root, Sampler::Root::always_on);

  config = enabled({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:9999/otlp/"}});
  EXPECT_EQ(config.endpoint.host, "collector");
  EXPECT_EQ(config.endpoint.host_header, "collector:9999");
  EXPECT_EQ(config.endpoint.port, 9999);
  EXPECT_EQ(config.endpoint.target, "/otlp/v1/traces");

  config = enabled({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:1"},
                    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://[::1]:4000/custom?x=1"}});
  EXPECT_EQ(config.endpoint.host, "::1");
  EXPECT_EQ(config.endpoint.host_header, "[::1]:4000");
  EXPECT_EQ(config.endpoint.target, "/custom?x=1");  // used as is
}

TEST(OtlpConfig, HeadersResourceAndTimeouts) {
  const auto config = enabled({{"OTEL_TRACES_EXPORTER", "otlp"},
                               {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b, X-Tenant=acme"},
                               {"OTEL_SERVICE_NAME", "edge-1"},
                               {"OTEL_RESOURCE_ATTRIBUTES", "service.name=lost,region=eu%2Dwest"},
                               {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"},
                               {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                               {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"}});
  ASSERT_EQ(config.headers.size(), 2u);
  EXPECT_EQ(config.headers[0], (std::pair<std::string, std::string>{"api-key", "a b"}));
  EXPECT_EQ(config.headers[1].first, "X-Tenant");
  ASSERT_EQ(config.resource.size(), 2u);
  EXPECT_EQ(std::get<std::string>(config.resource[0].value), "edge-1");  // OTEL_SERVICE_NAME wins
  EXPECT_EQ(config.resource[1].key, "region");
  EXPECT_EQ(std::get<std::string>(config.resource[1].value), "eu-west");
  EXPECT_EQ(config.request_timeout, std::chrono::milliseconds{2500});
  EXPECT_EQ(config.max_queue_spans, 100u);
  EXPECT_EQ(config.max_batch_spans, 100u);  // never more than the queue holds
}

TEST(OtlpConfig, ErrorsNameTheVariable) {
  EXPECT_NE(error_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"}})
                .find("OTEL_EXPORTER_OTLP_ENDPOINT"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url"}})
                .find("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "zipkin"}}).find("OTEL_TRACES_EXPORTER"),
            std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}})
                .find("PROTOCOL"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_HEADERS", "novalue"}})
                .find("HEADERS"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "otlp"},
                      {"OTEL_EXPORTER_OTLP_HEADERS", "a=b%0D%0AInjected: x"}})
                .find("HEADERS"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_TRACES_SAMPLER", "sometimes"}})
                .find("OTEL_TRACES_SAMPLER"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_TRACES_SAMPLER", "traceidratio"},
                      {"OTEL_TRACES_SAMPLER_ARG", "1.5"}})
                .find("OTEL_TRACES_SAMPLER_ARG"), std::string::npos);
  EXPECT_NE(error_of({{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_TIMEOUT", "-1"}})
                .find("TIMEOUT"), std::string::npos);
}

ports::Span span_with_trace(std::string trace_id, std::optional<bool> parent_sampled = {}) {
  ports::Span span;
  span.trace_id = std::move(trace_id);
  span.parent_sampled = parent_sampled;
  return span;
}

TEST(Sampler, NamedSamplers) {
  const auto sampler = [](std::string name, std::string arg = "") {
    std::map<std::string, std::string> values{{"OTEL_TRACES_EXPORTER", "otlp"},
                                              {"OTEL_TRACES_SAMPLER", name}};
    if (!arg.empty()) values["OTEL_TRACES_SAMPLER_ARG"] = arg;
    return enabled(values).sampler;
  };
  const auto any = span_with_trace("4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(sampler("always_on").sample(any));
  EXPECT_FALSE(sampler("always_off").sample(any));
  EXPECT_FALSE(sampler("always_off").sample(span_with_trace(any.trace_id, true)));  // not parent-based
  EXPECT_TRUE(sampler("parentbased_always_off").sample(span_with_trace(any.trace_id, true)));
  EXPECT_FALSE(sampler("parentbased_always_on").sample(span_with_trace(any.trace_id, false)));
  EXPECT_FALSE(sampler("parentbased_always_off").sample(any));  // root: the inner sampler
}

TEST(Sampler, TraceIdRatioDecidesOnTheLowerHalfOfTheTraceId) {
  Sampler half{Sampler::Root::trace_id_ratio, 0.5, false};
  // Lower 64 bits 0x7fff… < 2^63 is kept; 0x8000… is not.
  EXPECT_TRUE(half.sample(span_with_trace("ffffffffffffffff7fffffffffffffff")));
  EXPECT_FALSE(half.sample(span_with_trace("00000000000000008000000000000000")));
  Sampler none{Sampler::Root::trace_id_ratio, 0.0, false};
  Sampler all{Sampler::Root::trace_id_ratio, 1.0, false};
  EXPECT_FALSE(none.sample(span_with_trace("00000000000000000000000000000001")));
  EXPECT_TRUE(all.sample(span_with_trace("ffffffffffffffffffffffffffffffff")));
  EXPECT_FALSE(all.sample(span_with_trace("not-hex")));
}

}  // namespace
}  // namespace mtrace::adapters::otlp
