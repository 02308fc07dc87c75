// Helpers of the lab tests: a temporary folder and a synchronous view of an Exchange.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>

#include "../../support/temp_dir.h"
#include "adapters/http/exchange.h"

namespace mtrace::adapters::lab::test {

// A temporary folder that also writes files into itself.
class TempDir : public mtrace::testing::TempDir {
 public:
  std::filesystem::path write(const std::string& relative, const std::string& content) const {
    const auto file = path() / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
};

// An Exchange whose response can be awaited.
struct CapturedExchange {
  std::shared_ptr<std::promise<http::Response>> promise = std::make_shared<std::promise<http::Response>>();
  std::future<http::Response> future = promise->get_future();

  http::Exchange exchange() {
    return http::Exchange{[promise = promise](http::Response response) { promise->set_value(std::move(response)); },
                          nullptr};
  }
};

inline std::string header_of(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace mtrace::adapters::lab::test
