#include "adapters/otlp/otlp_config.h"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "analyzer/text.h"

namespace mtrace::adapters::otlp {

namespace {

using domain::Error;
using domain::ErrorCode;

Error invalid(std::string_view variable, std::string_view why) {
  return Error{ErrorCode::invalid_argument, std::string{variable} + ": " + std::string{why}};
}

// Percent-decodes `s`; nullopt when an escape is malformed.
std::optional<std::string> percent_decoded(std::string_view s) {
  auto parsed = boost::urls::make_pct_string_view(s);
  if (!parsed) return std::nullopt;
  return parsed->decode();
}

// "k1=v1,k2=v2" with percent-encoded values (W3C baggage style), as the OTEL_* lists are.
std::optional<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = analyzer::text::trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    auto key = percent_decoded(analyzer::text::trim(item.substr(0, equals)));
    auto value = percent_decoded(analyzer::text::trim(item.substr(equals + 1)));
    if (!key || !value || key->empty()) return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

bool header_safe(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos && s.find('\0') == std::string_view::npos;
}

domain::Result<HttpEndpoint> parse_endpoint(std::string_view variable, std::string_view url,
                                            bool append_traces_path) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return invalid(variable, "not an absolute URL");
  if (parsed->scheme() != "http") return invalid(variable, "only http:// is supported");
  HttpEndpoint endpoint;
  endpoint.host = std::string{parsed->encoded_host_address()};
  if (endpoint.host.empty()) return invalid(variable, "no host");
  endpoint.host_header = std::string{parsed->encoded_host_and_port()};
  if (parsed->has_port()) {
    const auto port = parsed->port_number();
    if (port == 0) return invalid(variable, "bad port");
    endpoint.port = port;
  }
  std::string path{parsed->encoded_path()};
  if (append_traces_path) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    path += "/v1/traces";
  } else if (path.empty()) {
    path = "/";
  }
  if (parsed->has_query()) path += "?" + std::string{parsed->encoded_query()};
  endpoint.target = std::move(path);
  return endpoint;
}

std::optional<std::int64_t> positive_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

bool Sampler::sample(const ports::Span& span) const {
  if (parent_based && span.parent_sampled) return *span.parent_sampled;
  switch (root) {
    case Root::always_on:
      return true;
    case Root::always_off:
      return false;
    case Root::trace_id_ratio: {
      // The lower 64 bits of the trace id against ratio × 2^64: one decision per trace.
      if (span.trace_id.size() != 32) return false;
      std::uint64_t low = 0;
      const char* digits = span.trace_id.data() + 16;
      if (std::from_chars(digits, digits + 16, low, 16).ec != std::errc{}) return false;
      if (ratio >= 1.0) return true;
      const auto threshold = static_cast<std::uint64_t>(ratio * 18446744073709551616.0);  // < 2^64
      return low < threshold;
    }
  }
  return false;
}

domain::Result<std::optional<ExporterConfig>> config_from_environment(const Environment& env) {
  const auto get = [&env](std::string_view name) -> std::optional<std::string> {
    auto value = env(name);
    if (value && analyzer::text::trim(*value).empty()) return std::nullopt;  // empty is unset
    return value;
  };
  if (const auto disabled = get("OTEL_SDK_DISABLED"); disabled && *disabled == "true") {
    return std::optional<ExporterConfig>{};
  }
  const auto exporter = get("OTEL_TRACES_EXPORTER");
  const auto traces_endpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const auto endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (exporter && *exporter == "none") return std::optional<ExporterConfig>{};
  if (exporter && *exporter != "otlp") {
    return invalid("OTEL_TRACES_EXPORTER", "only otlp or none are supported");
  }
  if (!exporter && !traces_endpoint && !endpoint) return std::optional<ExporterConfig>{};

  ExporterConfig config;
  for (const char* name : {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"}) {
    // OTLP/HTTP receivers take JSON and protobuf on the same path; we always send JSON.
    const auto protocol = get(name);
    if (protocol && *protocol != "http/json" && *protocol != "http/protobuf") {
      return invalid(name, "only http/json is supported");
    }
  }
  auto parsed = traces_endpoint
                    ? parse_endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", *traces_endpoint, false)
                    : parse_endpoint("OTEL_EXPORTER_OTLP_ENDPOINT",
                                     endpoint.value_or("http://localhost:4318"), true);
  if (!parsed) return parsed.error();
  config.endpoint = std::move(parsed.value());

  for (const char* name : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    const auto text = get(name);
    if (!text) continue;
    auto headers = key_values(*text);
    if (!headers) return invalid(name, "expected key=value pairs separated by commas");
    for (auto& [key, value] : *headers) {
      if (!header_safe(key) || !header_safe(value)) return invalid(name, "control characters");
      config.headers.emplace_back(std::move(key), std::move(value));
    }
  }

  std::string service_name = get("OTEL_SERVICE_NAME").value_or("");
  std::vector<ports::Attribute> others;
  if (const auto text = get("OTEL_RESOURCE_ATTRIBUTES")) {
    auto attributes = key_values(*text);
    if (!attributes) return invalid("OTEL_RESOURCE_ATTRIBUTES", "expected key=value pairs");
    for (auto& [key, value] : *attributes) {
      if (key == "service.name") {
        if (service_name.empty()) service_name = value;  // OTEL_SERVICE_NAME wins
      } else {
        others.push_back(ports::Attribute{std::move(key), std::move(value)});
      }
    }
  }
  config.resource.push_back(
      ports::Attribute{"service.name", service_name.empty() ? "mtrace" : service_name});
  for (auto& attribute : others) config.resource.push_back(std::move(attribute));

  if (const auto sampler = get("OTEL_TRACES_SAMPLER")) {
    std::string_view name = *sampler;
    config.sampler.parent_based = name.starts_with("parentbased_");
    if (config.sampler.parent_based) name.remove_prefix(std::strlen("parentbased_"));
    if (name == "always_on") {
      config.sampler.root = Sampler::Root::always_on;
    } else if (name == "always_off") {
      config.sampler.root = Sampler::Root::always_off;
    } else if (name == "traceidratio") {
      config.sampler.root = Sampler::Root::trace_id_ratio;
      if (const auto arg = get("OTEL_TRACES_SAMPLER_ARG")) {
        char* end = nullptr;
        const double ratio = std::strtod(arg->c_str(), &end);
        if (end == arg->c_str() || *end != '\0' || !std::isfinite(ratio) || ratio < 0 ||
            ratio > 1) {
          return invalid("OTEL_TRACES_SAMPLER_ARG", "expected a ratio in [0, 1]");
        }
        config.sampler.ratio = ratio;
      }
    } else {
      return invalid("OTEL_TRACES_SAMPLER", "unknown sampler");
    }
  }

  for (const char* name : {"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"}) {
    if (const auto text = get(name)) {
      const auto ms = positive_integer(*text);
      if (!ms) return invalid(name, "expected milliseconds > 0");
      config.request_timeout = std::chrono::milliseconds{*ms};
    }
  }
  if (const auto text = get("OTEL_BSP_SCHEDULE_DELAY")) {
    const auto ms = positive_integer(*text);
    if (!ms) return invalid("OTEL_BSP_SCHEDULE_DELAY", "expected milliseconds > 0");
    config.schedule_delay = std::chrono::milliseconds{*ms};
  }
  if (const auto text = get("OTEL_BSP_MAX_QUEUE_SIZE")) {
    const auto n = positive_integer(*text);
    if (!n || *n > 1'000'000) return invalid("OTEL_BSP_MAX_QUEUE_SIZE", "expected 1..1000000");
    config.max_queue_spans = static_cast<std::size_t>(*n);
  }
  if (const auto text = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    const auto n = positive_integer(*text);
    if (!n) return invalid("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "expected a count > 0");
    config.max_batch_spans = static_cast<std::size_t>(*n);
  }
  config.max_batch_spans = std::min(config.max_batch_spans, config.max_queue_spans);
  return std::optional<ExporterConfig>{std::move(config)};
}

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string{name}.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string{value};
  };
}

}  // namespace mtrace::adapters::otlp
