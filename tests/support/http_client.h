// A tiny synchronous HTTP/1.1 client for tests and benchmarks.
//
//   bourse::testing::HttpClient client("127.0.0.1", port);
//   auto r = client.request("POST", "/v1/orders", body, {{"Idempotency-Key", "k"}});
//   CHECK(r.status == 202); r.body; r.header("Location");
//
// The connection is kept alive and reused; it is reopened when the server closed it
// (Connection: close) or when a reused connection turns out to be closed before any byte
// of the answer arrived. Every call is bounded by the client's timeout; a failure (refused,
// reset, timeout) throws std::runtime_error. RawConnection sends arbitrary bytes for tests
// of malformed or slow clients. Not thread-safe: one client per thread.
//
// Boost.Beast lives in http_client.cc only (library bourse_test_support): this header is
// included by dozens of test files, and Beast's headers cost ~30 s of compile time each.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bourse::testing {

// ASCII case-insensitive equality (HTTP field names).
bool iequals(std::string_view a, std::string_view b) noexcept;

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = false;

  // The first value of a header (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (iequals(key, name)) return value;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (iequals(key, name)) return true;
    }
    return false;
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse request(std::string_view method, std::string_view target, std::string body = {},
                       const HeaderList& headers = {});
  HttpResponse get(std::string_view target, const HeaderList& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResponse post(std::string_view target, std::string body, const HeaderList& headers = {}) {
    return request("POST", target, std::move(body), headers);
  }

  bool connected() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
HttpResponse http_get_once(const std::string& host, std::uint16_t port, std::string_view target,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));

// Raw bytes over one connection, for malformed, slow or oversized clients.
class RawConnection {
 public:
  RawConnection(const std::string& host, std::uint16_t port,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends everything; false if the peer closed or reset (or the timeout passed).
  bool send(std::string_view bytes);

  // Reads until the peer closes the connection or `timeout` passes. `closed` tells which.
  std::string read_until_close(bool& closed, std::chrono::milliseconds timeout);

  // Reads one HTTP response (status and headers and body); nullopt on close or timeout.
  std::optional<HttpResponse> read_response();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::testing
