#include "adapters/otlp/otlp_http_exporter.h"

#include <pthread.h>

#include <algorithm>

#include "adapters/otlp/otlp_json.h"

namespace mtrace::adapters::otlp {

namespace {

bool retryable(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

OtlpHttpExporter::OtlpHttpExporter(ExporterConfig config, ports::Metrics& metrics)
    : config_(std::move(config)), metrics_(metrics), poster_(config_.endpoint), worker_([this] { run(); }) {}

OtlpHttpExporter::~OtlpHttpExporter() { shutdown(); }

void OtlpHttpExporter::export_spans(std::vector<ports::Span> spans) {
  std::size_t dropped = 0;
  bool batch_ready = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& span : spans) {
      if (!config_.sampler.sample(span)) continue;
      if (stopping_ || queue_.size() >= config_.max_queue_spans) {
        ++dropped;
        continue;
      }
      queue_.push_back(std::move(span));
    }
    batch_ready = queue_.size() >= config_.max_batch_spans;
  }
  if (batch_ready) wake_.notify_one();
  if (dropped > 0) metrics_.otlp_spans_dropped(static_cast<std::int64_t>(dropped));
}

void OtlpHttpExporter::shutdown() {
  std::lock_guard once(shutdown_mutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool OtlpHttpExporter::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [this] { return stopping_; });
}

void OtlpHttpExporter::run() {
  pthread_setname_np(pthread_self(), "otlp-export");  // as `top -H` and perf show the thread
  std::optional<std::chrono::steady_clock::time_point> flush_deadline;
  for (;;) {
    std::vector<ports::Span> batch;
    bool final_flush = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, config_.schedule_delay, [this] {
        return stopping_ || queue_.size() >= config_.max_batch_spans;
      });
      final_flush = stopping_;
      if (final_flush && !flush_deadline) {
        flush_deadline = std::chrono::steady_clock::now() + config_.shutdown_timeout;
      }
      if (final_flush && std::chrono::steady_clock::now() >= *flush_deadline) {
        if (!queue_.empty()) metrics_.otlp_spans_dropped(static_cast<std::int64_t>(queue_.size()));
        queue_.clear();
        return;
      }
      const std::size_t n = std::min(queue_.size(), config_.max_batch_spans);
      batch.reserve(n);
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(batch));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (batch.empty()) {
      if (final_flush) return;
      continue;
    }
    const std::string body = encode_trace_request(config_.resource, batch);
    if (final_flush) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *flush_deadline - std::chrono::steady_clock::now());
      deliver(body, batch.size(), 1, std::min(config_.request_timeout, left));
    } else {
      deliver(body, batch.size(), config_.max_attempts, config_.request_timeout);
    }
  }
}

void OtlpHttpExporter::deliver(const std::string& body, std::size_t span_count, int attempts,
                               std::chrono::milliseconds timeout) {
  auto backoff = config_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    const HttpResult result = poster_.post_json(config_.headers, body, timeout);
    if (result.status >= 200 && result.status < 300) {
      metrics_.otlp_export(ports::OtlpExportOutcome::ok);
      return;
    }
    const bool transient = result.status == 0 || retryable(result.status);
    metrics_.otlp_export(result.status == 0       ? ports::OtlpExportOutcome::network_error
                         : retryable(result.status) ? ports::OtlpExportOutcome::retryable
                                                    : ports::OtlpExportOutcome::rejected);
    if (!transient || attempt >= attempts) break;  // 400 and other statuses are never retried
    auto delay = backoff;
    if (result.retry_after) {
      delay = std::chrono::duration_cast<std::chrono::milliseconds>(*result.retry_after);
    }
    backoff = std::min(backoff * 2, config_.max_backoff);
    if (!pause(std::min(delay, config_.max_backoff))) break;  // shutting down: give up this one
  }
  metrics_.otlp_spans_dropped(static_cast<std::int64_t>(span_count));
}

}  // namespace mtrace::adapters::otlp
