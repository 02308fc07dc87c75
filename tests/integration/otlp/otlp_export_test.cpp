// OtlpHttpExporter against a loopback receiver (tests/peers/otlp-receiver) that decodes each
// export with the OTLP protobuf definitions from npm: what was sent decodes to the same ids,
// times, kinds and attributes; retries, rejections and dead or hanging collectors behave.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "../../support/server_process.h"
#include "adapters/otlp/otlp_http_exporter.h"
#include "adapters/prometheus/prometheus_metrics.h"

namespace mtrace::adapters::otlp {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::filesystem::path kReceiverDir =
    std::filesystem::path(MTRACE_SOURCE_DIR) / "tests/peers/otlp-receiver";

// The receiver as a child process on a free loopback port; stopped by the destructor.
class Receiver {
 public:
  explicit Receiver(std::vector<std::string> args) {
    out_ = std::filesystem::temp_directory_path() /
           ("mtrace-otlp-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".jsonl");
    std::filesystem::remove(out_);
    std::vector<std::string> argv = {"node", "--import", "tsx", "src/main.ts", "--out", out_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(kReceiverDir.c_str()) != 0) ::_exit(127);
      const int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      std::vector<char*> c_argv;
      for (auto& a : argv) c_argv.push_back(a.data());
      c_argv.push_back(nullptr);
      ::execvp("node", c_argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto lines = read_lines();
      if (!lines.empty()) {
        port_ = static_cast<std::uint16_t>(lines[0].at("listening").to_number<int>());
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "the OTLP receiver did not start (npm ci in " << kReceiverDir << "?)";
  }
  ~Receiver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove(out_);
  }

  std::uint16_t port() const { return port_; }

  std::vector<json::object> read_lines() const {
    std::vector<json::object> lines;
    std::ifstream in(out_);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) lines.push_back(json::parse(line).as_object());
    }
    return lines;
  }

  // The request records (every line after the first), once there are at least `n` of them.
  std::vector<json::object> wait_for_requests(std::size_t n) const {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto lines = read_lines();
      if (!lines.empty()) lines.erase(lines.begin());
      if (lines.size() >= n || std::chrono::steady_clock::now() > deadline) return lines;
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path out_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

ExporterConfig config_for(std::uint16_t port) {
  ExporterConfig config;
  config.endpoint.host = "127.0.0.1";
  config.endpoint.host_header = "127.0.0.1:" + std::to_string(port);
  config.endpoint.port = port;
  config.resource = {{"service.name", std::string{"mtrace-test"}},
                     {"deployment.environment", std::string{"ci"}}};
  config.headers = {{"X-Tenant", "acme"}};
  config.schedule_delay = 50ms;
  config.initial_backoff = 50ms;
  config.request_timeout = 2s;
  config.shutdown_timeout = 2s;
  return config;
}

ports::Span sample_span() {
  ports::Span span;
  span.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  span.span_id = "00f067aa0ba902b7";
  span.parent_span_id = "a2fb4a1d1a96d312";
  span.name = "playback session";
  span.kind = ports::SpanKind::server;
  span.start = 1'764'000'000'123'456;
  span.end = 1'764'000'042'000'001;
  span.attributes = {{"session.id", std::string{"s-1"}},
                     {"mtrace.qoe.rebuffer_count", std::int64_t{9'007'199'254'740'993}},
                     {"mtrace.qoe.rebuffer_ratio", 0.125},
                     {"mtrace.qoe.failed", true}};
  span.events = {{"bitrate_switch", 1'764'000'010'000'000, {{"bitrate_bps", 2.5e6}}}};
  span.status = ports::SpanStatusCode::error;
  span.status_message = "fatal playback error";
  return span;
}

std::map<std::string, json::value> attributes_of(const json::value& list) {
  std::map<std::string, json::value> out;
  for (const auto& a : list.as_array()) out[json::value_to<std::string>(a.at("key"))] = a.at("value");
  return out;
}

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);  // nothing listens there now
  return ntohs(address.sin_port);
}

double scraped(PrometheusMetrics& metrics, const std::string& series) {
  std::istringstream in(metrics.scrape());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

TEST(OtlpExport, SpansDecodeWithTheOtlpDefinitions) {
  Receiver receiver({});
  ASSERT_NE(receiver.port(), 0);
  PrometheusMetrics metrics;
  OtlpHttpExporter exporter(config_for(receiver.port()), metrics);
  ports::Span child;
  child.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  child.span_id = "b7ad6b7169203331";
  child.parent_span_id = "00f067aa0ba902b7";
  child.name = "rebuffer \xff odd";  // invalid UTF-8 is replaced, not sent
  child.start = 1'764'000'020'000'000;
  child.end = 1'764'000'021'500'000;
  exporter.export_spans({sample_span(), child});

  const auto requests = receiver.wait_for_requests(1);
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  ASSERT_EQ(request.at("status"), 200) << json::serialize(request);
  EXPECT_EQ(request.at("path"), "/v1/traces");
  EXPECT_EQ(request.at("headers").at("content-type"), "application/json");
  EXPECT_EQ(request.at("headers").at("x-tenant"), "acme");

  const auto& resource_spans = request.at("decoded").at("resourceSpans").at(0);
  const auto resource = attributes_of(resource_spans.at("resource").at("attributes"));
  EXPECT_EQ(resource.at("service.name").at("stringValue"), "mtrace-test");
  EXPECT_EQ(resource.at("deployment.environment").at("stringValue"), "ci");
  const auto& spans = resource_spans.at("scopeSpans").at(0).at("spans").as_array();
  ASSERT_EQ(spans.size(), 2u);

  const auto& root = spans[0];
  EXPECT_EQ(root.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(root.at("spanId"), "00f067aa0ba902b7");
  EXPECT_EQ(root.at("parentSpanId"), "a2fb4a1d1a96d312");
  EXPECT_EQ(root.at("name"), "playback session");
  EXPECT_EQ(root.at("kind"), 2);
  EXPECT_EQ(root.at("startTimeUnixNano"), "1764000000123456000");
  EXPECT_EQ(root.at("endTimeUnixNano"), "1764000042000001000");
  const auto attributes = attributes_of(root.at("attributes"));
  EXPECT_EQ(attributes.at("session.id").at("stringValue"), "s-1");
  EXPECT_EQ(attributes.at("mtrace.qoe.rebuffer_count").at("intValue"), "9007199254740993");
  EXPECT_EQ(attributes.at("mtrace.qoe.rebuffer_ratio").at("doubleValue"), 0.125);
  EXPECT_EQ(attributes.at("mtrace.qoe.failed").at("boolValue"), true);
  const auto& event = root.at("events").at(0);
  EXPECT_EQ(event.at("name"), "bitrate_switch");
  EXPECT_EQ(event.at("timeUnixNano"), "1764000010000000000");
  // JavaScript writes 2.5e6 as 2500000: compare numbers, not JSON types.
  EXPECT_EQ(attributes_of(event.at("attributes")).at("bitrate_bps").at("doubleValue").to_number<double>(),
            2.5e6);
  EXPECT_EQ(root.at("status").at("code"), 2);
  EXPECT_EQ(root.at("status").at("message"), "fatal playback error");

  const auto& second = spans[1];
  EXPECT_EQ(second.at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(second.at("kind"), 1);
  EXPECT_EQ(second.at("name"), "rebuffer \xEF\xBF\xBD odd");
  EXPECT_EQ(second.at("endTimeUnixNano"), "1764000021500000000");
  exporter.shutdown();
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"ok\"}"), 1);
}

TEST(OtlpExport, BatchesShareOneConnection) {
  Receiver receiver({});
  ASSERT_NE(receiver.port(), 0);
  PrometheusMetrics metrics;
  OtlpHttpExporter exporter(config_for(receiver.port()), metrics);
  for (std::size_t sent = 1; sent <= 3; ++sent) {
    exporter.export_spans({sample_span()});
    ASSERT_EQ(receiver.wait_for_requests(sent).size(), sent);  // one batch at a time
  }
  const auto requests = receiver.wait_for_requests(3);
  for (const auto& request : requests) {
    EXPECT_EQ(request.at("status"), 200);
    EXPECT_EQ(request.at("connection"), requests[0].at("connection"));
  }
}

TEST(OtlpExport, AConnectionTheCollectorClosedIsReplaced) {
  Receiver receiver({"--keep-alive-ms", "100"});
  ASSERT_NE(receiver.port(), 0);
  PrometheusMetrics metrics;
  OtlpHttpExporter exporter(config_for(receiver.port()), metrics);
  exporter.export_spans({sample_span()});
  ASSERT_EQ(receiver.wait_for_requests(1).size(), 1u);
  std::this_thread::sleep_for(1600ms);  // the collector closes the idle connection (Node: ~1.1 s)
  exporter.export_spans({sample_span()});
  const auto requests = receiver.wait_for_requests(2);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].at("status"), 200);
  EXPECT_NE(requests[1].at("connection"), requests[0].at("connection"));
  exporter.shutdown();
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"ok\"}"), 2);
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"network_error\"}"), 0);
}

TEST(OtlpExport, RetriesAfter503) {
  Receiver receiver({"--responses", "503,200", "--retry-after", "0"});
  ASSERT_NE(receiver.port(), 0);
  PrometheusMetrics metrics;
  OtlpHttpExporter exporter(config_for(receiver.port()), metrics);
  exporter.export_spans({sample_span()});
  const auto requests = receiver.wait_for_requests(2);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].at("status"), 503);
  EXPECT_EQ(requests[1].at("status"), 200);
  EXPECT_EQ(requests[1].at("decoded"), requests[0].at("decoded"));  // the same batch again
  exporter.shutdown();
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"retryable\"}"), 1);
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"ok\"}"), 1);
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_spans_dropped_total"), 0);
}

TEST(OtlpExport, A400IsNotRetried) {
  Receiver receiver({"--responses", "400"});
  ASSERT_NE(receiver.port(), 0);
  PrometheusMetrics metrics;
  {
    OtlpHttpExporter exporter(config_for(receiver.port()), metrics);
    exporter.export_spans({sample_span()});
    ASSERT_EQ(receiver.wait_for_requests(1).size(), 1u);
    // Several backoff periods (50 ms, 100 ms, ...) pass without another attempt.
    std::this_thread::sleep_for(800ms);
  }
  EXPECT_EQ(receiver.wait_for_requests(1).size(), 1u);
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"rejected\"}"), 1);
  EXPECT_EQ(scraped(metrics, "mtrace_otlp_spans_dropped_total"), 1);
}

// Exports many spans and shuts down, within `bound`; the spans that do not fit are dropped.
void export_without_blocking(ExporterConfig config, PrometheusMetrics& metrics,
                             std::chrono::seconds bound) {
  config.max_queue_spans = 100;
  config.max_batch_spans = 10;
  auto work = std::async(std::launch::async, [&] {
    OtlpHttpExporter exporter(config, metrics);
    for (int i = 0; i < 5000; ++i) exporter.export_spans({sample_span()});
    exporter.shutdown();
  });
  ASSERT_EQ(work.wait_for(bound), std::future_status::ready) << "export_spans or shutdown blocked";
  EXPECT_GT(scraped(metrics, "mtrace_otlp_spans_dropped_total"), 4000);
}

TEST(OtlpExport, AHangingCollectorNeverBlocksExport) {
  Receiver receiver({"--hang"});
  ASSERT_NE(receiver.port(), 0);
  PrometheusMetrics metrics;
  auto config = config_for(receiver.port());
  config.request_timeout = 300ms;
  config.shutdown_timeout = 500ms;
  export_without_blocking(config, metrics, 20s);
  EXPECT_GE(receiver.wait_for_requests(1).size(), 1u);  // it was reached, and never answered
  EXPECT_GE(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"network_error\"}"), 1);
}

TEST(OtlpExport, ADeadCollectorNeverBlocksExport) {
  PrometheusMetrics metrics;
  auto config = config_for(closed_port());
  config.shutdown_timeout = 500ms;
  export_without_blocking(config, metrics, 20s);
  EXPECT_GE(scraped(metrics, "mtrace_otlp_exports_total{outcome=\"network_error\"}"), 1);
}

// Every span the receiver decoded so far, from all its requests.
std::vector<json::object> received_spans(const Receiver& receiver) {
  std::vector<json::object> spans;
  for (const auto& request : receiver.wait_for_requests(0)) {
    if (!request.contains("decoded")) continue;
    for (const auto& resource : request.at("decoded").at("resourceSpans").as_array()) {
      for (const auto& scope : resource.at("scopeSpans").as_array()) {
        for (const auto& span : scope.at("spans").as_array()) spans.push_back(span.as_object());
      }
    }
  }
  return spans;
}

// The server itself, asked to trace segments: a reported segment request becomes a client span
// under the server span of the ingest request that carried it, on the batch's trace.
TEST(OtlpExport, TheServerExportsASpanPerReportedSegmentWhenAsked) {
  Receiver receiver({});
  ASSERT_NE(receiver.port(), 0);
  testing::TempDir dir;
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ("http://127.0.0.1:" + std::to_string(receiver.port())).c_str(), 1);
  ::setenv("OTEL_BSP_SCHEDULE_DELAY", "50", 1);
  testing::ServerProcess server(dir.path(), {"--trace-segments"});
  ::unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ::unsetenv("OTEL_BSP_SCHEDULE_DELAY");
  const auto posted = server.post_events(
      testing::batch_json("seg-1", 2, 1, "segment_loaded",
                          R"(,"network.redacted_url":"https://cdn.example/v/seg-7.m4s","duration_ms":250,"bytes":1200)"),
      {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  ASSERT_EQ(posted.status, 202) << posted.body;

  std::vector<json::object> segments;
  std::optional<json::object> ingest;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((segments.size() < 2 || !ingest) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    segments.clear();
    for (auto& span : received_spans(receiver)) {
      if (span.at("name") == "segment request") segments.push_back(span);
      if (span.at("name") == "http.handler POST /api/playback-events") ingest = span;
    }
  }
  ASSERT_TRUE(ingest.has_value());
  ASSERT_EQ(segments.size(), 2u);
  for (const auto& segment : segments) {
    EXPECT_EQ(segment.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(segment.at("parentSpanId"), ingest->at("spanId"));
    EXPECT_EQ(segment.at("kind"), 3);  // client
    const auto start = std::stoll(std::string(segment.at("startTimeUnixNano").as_string()));
    const auto end = std::stoll(std::string(segment.at("endTimeUnixNano").as_string()));
    EXPECT_EQ(end - start, 250'000'000);
    EXPECT_EQ(attributes_of(segment.at("attributes")).at("url.full").at("stringValue"), "https://cdn.example/v/seg-7.m4s");
  }
}

}  // namespace
}  // namespace mtrace::adapters::otlp
