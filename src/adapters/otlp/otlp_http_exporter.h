// OtlpHttpExporter: ports::TraceExporter that batches spans on a background thread and POSTs them
// as OTLP/HTTP JSON (reference/anchors.md §3.1). export_spans only samples and queues; a slow,
// failing or dead collector costs spans (counted), never ingest time.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "adapters/otlp/http_post.h"
#include "adapters/otlp/otlp_config.h"
#include "ports/metrics.h"
#include "ports/tracer.h"

namespace mtrace::adapters::otlp {

class OtlpHttpExporter final : public ports::TraceExporter {
 public:
  // Starts the export thread. `metrics` must outlive the exporter.
  OtlpHttpExporter(ExporterConfig config, ports::Metrics& metrics);
  // shutdown().
  ~OtlpHttpExporter() override;

  OtlpHttpExporter(const OtlpHttpExporter&) = delete;
  OtlpHttpExporter& operator=(const OtlpHttpExporter&) = delete;

  // Keeps the spans the sampler accepts, up to the free room of the queue; the rest of them are
  // dropped and counted. Wakes the export thread when a full batch is waiting. Thread-safe.
  void export_spans(std::vector<ports::Span> spans) override;

  // Stops taking spans, sends what is queued (one attempt per batch, within
  // config.shutdown_timeout; what is left is dropped and counted) and joins the thread.
  // Idempotent; call on SIGTERM after the HTTP server stopped.
  void shutdown();

 private:
  void run();
  // Sends one batch, retrying transient failures up to `attempts` in all; returns when it was
  // delivered, rejected or given up (then its spans count as dropped).
  void deliver(const std::string& body, std::size_t span_count, int attempts,
               std::chrono::milliseconds timeout);
  // Waits up to `delay`, or less when shutting down; false when shutdown began.
  bool pause(std::chrono::milliseconds delay);

  const ExporterConfig config_;
  ports::Metrics& metrics_;
  HttpPoster poster_;  // the sender thread's connection to the collector

  std::mutex mutex_;  // guards queue_ and stopping_
  std::condition_variable wake_;
  std::deque<ports::Span> queue_;
  bool stopping_ = false;
  std::mutex shutdown_mutex_;  // serializes shutdown() calls
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace mtrace::adapters::otlp
