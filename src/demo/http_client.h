// A small synchronous HTTP/1.1 client over one kept-alive connection, for `bourse demo`,
// which drives a server only through its public HTTP API. Boost.Beast stays in
// http_client.cc, so its headers are compiled once.
//
//   demo::HttpClient client("127.0.0.1", 8080, std::chrono::milliseconds(2'000));
//   Result<demo::HttpResponse> r = client.request("POST", "/v1/orders", body);
//
// The connection is reopened when the server closed it (Connection: close) or when a
// reused connection turns out to be closed before any byte of the answer arrived. Every
// call is bounded by the client's timeout. Transport failures (refused, reset, timeout)
// are kUnavailable errors; any HTTP status is a response.
// Thread-safety: none; one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bourse/common/error.h"

namespace bourse::demo {

// Largest response body accepted (a book or a trade page is a few KiB).
inline constexpr std::size_t kMaxResponseBodyBytes = 4 * 1024 * 1024;

struct HttpResponse {
  int status = 0;
  std::string body;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout);
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  Result<HttpResponse> request(std::string_view method, std::string_view target,
                               const std::string& body = {}, const HeaderList& headers = {});

  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::demo
