// Goal: a real `bourse serve` answers every malformed, oversized, out-of-range or
// injection-style request on every endpoint with the documented status and RFC 9457
// problem type, never a 5xx and never a write: after the whole table, every table of the
// database holds exactly what it held before (CHECKSUM TABLE).
//
// Adding a row: one line in hostile_rows(), e.g. for an endpoint being built (admin, streams):
//   {"admin: limit past the ceiling", req("GET", "/v1/admin/outbox?limit=100000"), 422, "invalid-limit"},
//   {"stream: unknown symbol", req("GET", "/v1/market/NOPE/stream"), 404, "unknown-symbol"},
// A stream endpoint answers its errors before it starts streaming, so a row reads one
// complete response like any other. Every row is sent as raw bytes on its own connection
// (req() builds a well-formed HTTP/1.1 request; write the bytes by hand for HTTP-level abuse).
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bourse_process.h"

using bourse::testing::BourseProcess;
using bourse::testing::HeaderList;
using bourse::testing::HttpClient;
using bourse::testing::RawConnection;

namespace {

constexpr std::string_view kProblemBase = "https://bourse.dev/problems/";

// The bytes of one HTTP/1.1 request with Connection: close. A non-empty body gets
// Content-Type: application/json unless `headers` names another Content-Type.
std::string req(std::string_view method, std::string_view target, std::string_view body = {},
                const HeaderList& headers = {}) {
  std::string bytes = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  bytes += "Host: 127.0.0.1\r\nConnection: close\r\n";
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    if (bourse::testing::iequals(name, "Content-Type")) has_content_type = true;
    bytes += name + ": " + value + "\r\n";
  }
  if (!body.empty() && !has_content_type) bytes += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST") {
    bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  bytes += "\r\n";
  bytes += body;
  return bytes;
}

std::string order_body(std::string_view fields_after_user) {
  return std::string(R"({"user_id":"alice",)") + std::string(fields_after_user) + "}";
}

// A LIMIT BUY of alice's that is valid but for the one field replaced.
std::string order_with(std::string_view user_id, std::string_view symbol, std::string_view side,
                       std::string_view type, std::string_view quantity,
                       std::string_view price_field) {
  std::string body = "{\"user_id\":" + std::string(user_id) + ",\"symbol\":" +
                     std::string(symbol) + ",\"side\":" + std::string(side) +
                     ",\"type\":" + std::string(type) + ",\"quantity\":" + std::string(quantity);
  if (!price_field.empty()) body += "," + std::string(price_field);
  return body + "}";
}
std::string limit_buy_with_price(std::string_view price) {
  return order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                    "\"price\":" + std::string(price));
}
std::string limit_buy_with_quantity(std::string_view quantity) {
  return order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("LIMIT")", quantity,
                    R"("price":"150")");
}

std::string nested(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  for (int i = 0; i < depth; ++i) text += "}";
  return text;
}

struct HostileRow {
  std::string name;
  std::string bytes;  // the whole request as sent
  int status;         // expected HTTP status
  std::string kind;   // expected problem type, after kProblemBase
};

std::vector<HostileRow> hostile_rows() {
  const std::string sqli = "alice'%20OR%20'1'='1";
  const std::string long_user(65, 'u');
  const std::string huge_body(64 * 1024 + 1, ' ');
  const std::string key_200(200, 'k');
  return {
      // --- POST /v1/orders: JSON shape (400) --------------------------------------------
      {"order: invalid JSON", req("POST", "/v1/orders", "{\"user_id\":"), 400, "malformed-json"},
      {"order: trailing garbage", req("POST", "/v1/orders", "{}{}"), 400, "malformed-json"},
      {"order: JSON array", req("POST", "/v1/orders", "[1,2]"), 400, "json-not-object"},
      {"order: JSON string", req("POST", "/v1/orders", "\"order\""), 400, "json-not-object"},
      {"order: empty body", req("POST", "/v1/orders"), 400, "malformed-json"},
      {"order: nested past the depth limit", req("POST", "/v1/orders", nested(200)), 400,
       "malformed-json"},
      {"order: invalid UTF-8", req("POST", "/v1/orders", "{\"user_id\":\"al\xff\xfeice\"}"), 400,
       "malformed-json"},
      {"order: comment in JSON", req("POST", "/v1/orders", "{/* x */\"user_id\":\"alice\"}"), 400,
       "malformed-json"},
      {"order: duplicate key", req("POST", "/v1/orders", order_body(R"("user_id":"bob")")), 400,
       "duplicate-key"},
      {"order: duplicate nested key",
       req("POST", "/v1/orders", order_body(R"("x":{"a":1,"a":1})")), 400, "duplicate-key"},
      {"order: missing symbol", req("POST", "/v1/orders", R"({"user_id":"alice"})"), 400,
       "missing-field"},
      {"order: user_id null",
       req("POST", "/v1/orders",
           order_with("null", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1", R"("price":"150")")),
       400, "missing-field"},
      {"order: user_id a number",
       req("POST", "/v1/orders",
           order_with("7", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1", R"("price":"150")")),
       400, "wrong-type"},
      {"order: quantity a string", req("POST", "/v1/orders", limit_buy_with_quantity("\"1\"")),
       400, "wrong-type"},
      {"order: quantity fractional", req("POST", "/v1/orders", limit_buy_with_quantity("1.5")),
       400, "wrong-type"},
      {"order: quantity 1e3", req("POST", "/v1/orders", limit_buy_with_quantity("1e3")), 400,
       "wrong-type"},
      {"order: quantity past uint64",
       req("POST", "/v1/orders", limit_buy_with_quantity("100000000000000000000000000000")), 400,
       "wrong-type"},
      {"order: price a number", req("POST", "/v1/orders", limit_buy_with_price("150")), 400,
       "wrong-type"},
      {"order: price an object", req("POST", "/v1/orders", limit_buy_with_price("{}")), 400,
       "wrong-type"},
      // --- POST /v1/orders: values (422) -------------------------------------------------
      {"order: quantity uint64 max",
       req("POST", "/v1/orders", limit_buy_with_quantity("18446744073709551615")), 422,
       "quantity-too-large"},
      {"order: quantity int64 max",
       req("POST", "/v1/orders", limit_buy_with_quantity("9223372036854775807")), 422,
       "quantity-too-large"},
      {"order: quantity past the symbol's maximum",
       req("POST", "/v1/orders", limit_buy_with_quantity("1000001")), 422, "quantity-too-large"},
      {"order: quantity zero", req("POST", "/v1/orders", limit_buy_with_quantity("0")), 422,
       "invalid-quantity"},
      {"order: quantity negative", req("POST", "/v1/orders", limit_buy_with_quantity("-5")), 422,
       "invalid-quantity"},
      {"order: quantity int64 min",
       req("POST", "/v1/orders", limit_buy_with_quantity("-9223372036854775808")), 422,
       "invalid-quantity"},
      {"order: price zero", req("POST", "/v1/orders", limit_buy_with_price("\"0\"")), 422,
       "invalid-price"},
      {"order: price negative", req("POST", "/v1/orders", limit_buy_with_price("\"-150\"")), 422,
       "invalid-price"},
      {"order: price with 5 decimals", req("POST", "/v1/orders", limit_buy_with_price("\"150.00001\"")),
       422, "amount-scale"},
      {"order: price off tick", req("POST", "/v1/orders", limit_buy_with_price("\"150.001\"")),
       422, "off-tick-price"},
      {"order: price outside band", req("POST", "/v1/orders", limit_buy_with_price("\"1000\"")),
       422, "price-outside-band"},
      {"order: price exponent", req("POST", "/v1/orders", limit_buy_with_price("\"1.5e2\"")), 422,
       "invalid-amount"},
      {"order: price with spaces", req("POST", "/v1/orders", limit_buy_with_price("\" 150\"")), 422,
       "invalid-amount"},
      {"order: price 20 digits",
       req("POST", "/v1/orders", limit_buy_with_price("\"99999999999999999999\"")), 422,
       "amount-out-of-range"},
      {"order: price 10 KiB of digits",
       req("POST", "/v1/orders", limit_buy_with_price("\"" + std::string(10'000, '9') + "\"")),
       422, "amount-out-of-range"},
      {"order: user_id SQL injection",
       req("POST", "/v1/orders",
           order_with(R"("alice' OR '1'='1")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "invalid-user-id"},
      {"order: user_id NUL and control characters",
       req("POST", "/v1/orders",
           order_with(R"("al\u0000ice\r\n")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "invalid-user-id"},
      {"order: user_id unicode",
       req("POST", "/v1/orders",
           order_with("\"\xc3\xa5lice\xe2\x80\xae\"", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "invalid-user-id"},
      {"order: user_id too long",
       req("POST", "/v1/orders",
           order_with("\"" + long_user + "\"", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "invalid-user-id"},
      {"order: user_id empty",
       req("POST", "/v1/orders",
           order_with(R"("")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1", R"("price":"150")")),
       422, "invalid-user-id"},
      {"order: symbol SQL injection",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL'; DROP TABLE orders; --")", R"("BUY")",
                      R"("LIMIT")", "1", R"("price":"150")")),
       422, "unknown-symbol"},
      {"order: symbol lower case",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("aapl")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "unknown-symbol"},
      {"order: symbol 4 KiB",
       req("POST", "/v1/orders",
           order_with(R"("alice")", "\"" + std::string(4096, 'A') + "\"", R"("BUY")",
                      R"("LIMIT")", "1", R"("price":"150")")),
       422, "unknown-symbol"},
      {"order: side lower case",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL")", R"("buy")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "invalid-side"},
      {"order: type STOP",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("STOP")", "1",
                      R"("price":"150")")),
       422, "invalid-order-type"},
      {"order: MARKET with a price",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("MARKET")", "1",
                      R"("price":"150")")),
       422, "unexpected-price"},
      {"order: MARKET GTC",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("MARKET")", "1",
                      R"("time_in_force":"GTC")")),
       422, "invalid-time-in-force"},
      {"order: time_in_force DAY",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150","time_in_force":"DAY")")),
       422, "invalid-time-in-force"},
      {"order: LIMIT without price",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1", "")),
       422, "missing-price"},
      {"order: BRK.A past its maximum quantity",
       req("POST", "/v1/orders",
           order_with(R"("alice")", R"("BRK.A")", R"("BUY")", R"("LIMIT")", "1001",
                      R"("price":"700000")")),
       422, "quantity-too-large"},
      // Valid in shape and value, but nothing may be reserved: answered 422, nothing written.
      {"order: unknown account",
       req("POST", "/v1/orders",
           order_with(R"("mallory")", R"("AAPL")", R"("BUY")", R"("LIMIT")", "1",
                      R"("price":"150")")),
       422, "unknown-account"},
      {"order: insufficient funds",
       req("POST", "/v1/orders", limit_buy_with_quantity("1000000")), 422, "insufficient-funds"},
      {"order: Idempotency-Key too long",
       req("POST", "/v1/orders", limit_buy_with_quantity("1"), {{"Idempotency-Key", key_200}}),
       422, "invalid-idempotency-key"},
      {"order: Idempotency-Key with spaces",
       req("POST", "/v1/orders", limit_buy_with_quantity("1"), {{"Idempotency-Key", "key with spaces"}}),
       422, "invalid-idempotency-key"},
      // --- POST /v1/orders: transport ----------------------------------------------------
      {"order: text/plain", req("POST", "/v1/orders", limit_buy_with_quantity("1"),
                                {{"Content-Type", "text/plain"}}),
       415, "unsupported-media-type"},
      {"order: form encoded", req("POST", "/v1/orders", "user_id=alice&symbol=AAPL",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}}),
       415, "unsupported-media-type"},
      {"order: body over 64 KiB", req("POST", "/v1/orders", huge_body), 413, "payload-too-large"},
      {"order: Content-Length over 64 KiB, no body",
       "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n", 413,
       "payload-too-large"},
      {"order: chunked body over 64 KiB",
       "POST /v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20000\r\n" +
           std::string(0x20000, 'x') + "\r\n0\r\n\r\n",
       413, "payload-too-large"},
      {"order: PUT", req("PUT", "/v1/orders", limit_buy_with_quantity("1")), 405,
       "method-not-allowed"},
      // --- GET/DELETE /v1/orders/{id} ----------------------------------------------------
      {"get order: id zero", req("GET", "/v1/orders/0"), 404, "order-not-found"},
      {"get order: id negative", req("GET", "/v1/orders/-1"), 404, "order-not-found"},
      {"get order: id past int64", req("GET", "/v1/orders/99999999999999999999"), 404,
       "order-not-found"},
      {"get order: id int64 max", req("GET", "/v1/orders/9223372036854775807"), 404,
       "order-not-found"},
      {"get order: id SQL injection", req("GET", "/v1/orders/1%20OR%201=1"), 404,
       "order-not-found"},
      {"get order: id with NUL", req("GET", "/v1/orders/1%00"), 404, "order-not-found"},
      {"get order: id with a sign", req("GET", "/v1/orders/+1"), 404, "order-not-found"},
      {"delete order: id zero", req("DELETE", "/v1/orders/0"), 404, "order-not-found"},
      {"delete order: id SQL injection", req("DELETE", "/v1/orders/1;DELETE%20FROM%20orders"), 404,
       "order-not-found"},
      {"delete order: id int64 max", req("DELETE", "/v1/orders/9223372036854775807"), 404,
       "order-not-found"},
      {"delete order collection", req("DELETE", "/v1/orders"), 405, "method-not-allowed"},
      // --- GET /v1/orders?... ------------------------------------------------------------
      {"list orders: limit 0", req("GET", "/v1/orders?limit=0"), 422, "invalid-limit"},
      {"list orders: limit 501", req("GET", "/v1/orders?limit=501"), 422, "invalid-limit"},
      {"list orders: limit huge", req("GET", "/v1/orders?limit=99999999999999999999999"), 422,
       "invalid-limit"},
      {"list orders: limit text", req("GET", "/v1/orders?limit=ten"), 422, "invalid-limit"},
      {"list orders: status lower case", req("GET", "/v1/orders?status=open"), 422,
       "invalid-status"},
      {"list orders: cursor zero", req("GET", "/v1/orders?starting_after=0"), 422,
       "invalid-cursor"},
      {"list orders: user_id SQL injection", req("GET", "/v1/orders?user_id=" + sqli), 422,
       "invalid-user-id"},
      {"list orders: user_id NUL", req("GET", "/v1/orders?user_id=al%00ice"), 422,
       "invalid-user-id"},
      {"list orders: symbol injection", req("GET", "/v1/orders?symbol=AAPL%27--"), 422,
       "invalid-symbol"},
      {"list orders: bad percent-encoding", req("GET", "/v1/orders?user_id=%zz"), 400,
       "bad-request"},
      // --- GET /v1/trades?... ------------------------------------------------------------
      {"trades: limit 0", req("GET", "/v1/trades?limit=0"), 422, "invalid-limit"},
      {"trades: limit 100000", req("GET", "/v1/trades?limit=100000"), 422, "invalid-limit"},
      {"trades: order_id text", req("GET", "/v1/trades?order_id=x"), 422, "invalid-order-id"},
      {"trades: cursor negative", req("GET", "/v1/trades?starting_after=-1"), 422,
       "invalid-cursor"},
      {"trades: cursor of no trade", req("GET", "/v1/trades?starting_after=123456789"), 422,
       "invalid-cursor"},
      {"trades: user_id SQL injection", req("GET", "/v1/trades?user_id=" + sqli), 422,
       "invalid-user-id"},
      {"trades: symbol unicode", req("GET", "/v1/trades?symbol=%C3%85APL"), 422, "invalid-symbol"},
      {"trades: POST", req("POST", "/v1/trades", "{}"), 405, "method-not-allowed"},
      // --- /v1/market/{symbol}[/book] ----------------------------------------------------
      {"market: unknown symbol", req("GET", "/v1/market/NOPE"), 404, "unknown-symbol"},
      {"market: symbol SQL injection", req("GET", "/v1/market/AAPL%27%20OR%201=1--"), 404,
       "unknown-symbol"},
      {"market: symbol NUL", req("GET", "/v1/market/AAPL%00"), 404, "unknown-symbol"},
      {"market: symbol 2 KiB", req("GET", "/v1/market/" + std::string(2048, 'A')), 404,
       "unknown-symbol"},
      {"book: depth 0", req("GET", "/v1/market/AAPL/book?depth=0"), 422, "invalid-depth"},
      {"book: depth 51", req("GET", "/v1/market/AAPL/book?depth=51"), 422, "invalid-depth"},
      {"book: depth negative", req("GET", "/v1/market/AAPL/book?depth=-1"), 422, "invalid-depth"},
      {"book: depth past uint64", req("GET", "/v1/market/AAPL/book?depth=99999999999999999999999"),
       422, "invalid-depth"},
      {"book: unknown symbol", req("GET", "/v1/market/NOPE/book"), 404, "unknown-symbol"},
      {"market: DELETE", req("DELETE", "/v1/market/AAPL"), 405, "method-not-allowed"},
      // --- POST /v1/accounts -------------------------------------------------------------
      {"open account: invalid JSON", req("POST", "/v1/accounts", "{\"user_id\""), 400,
       "malformed-json"},
      {"open account: duplicate key",
       req("POST", "/v1/accounts", R"({"user_id":"eve","user_id":"alice"})"), 400,
       "duplicate-key"},
      {"open account: user_id SQL injection",
       req("POST", "/v1/accounts", R"({"user_id":"x'); DROP TABLE accounts; --"})"), 422,
       "invalid-user-id"},
      {"open account: user_id too long",
       req("POST", "/v1/accounts", "{\"user_id\":\"" + long_user + "\"}"), 422,
       "invalid-user-id"},
      {"open account: cash negative", req("POST", "/v1/accounts", R"({"user_id":"eve","cash":"-1"})"),
       422, "invalid-amount"},
      {"open account: cash 5 decimals",
       req("POST", "/v1/accounts", R"({"user_id":"eve","cash":"1.00001"})"), 422, "amount-scale"},
      {"open account: cash huge",
       req("POST", "/v1/accounts", R"({"user_id":"eve","cash":"100000000000000000"})"), 422,
       "amount-out-of-range"},
      {"open account: cash a number", req("POST", "/v1/accounts", R"({"user_id":"eve","cash":5})"),
       400, "wrong-type"},
      {"open account: unknown position symbol",
       req("POST", "/v1/accounts", R"({"user_id":"eve","positions":{"NOPE":1}})"), 422,
       "unknown-symbol"},
      {"open account: negative position",
       req("POST", "/v1/accounts", R"({"user_id":"eve","positions":{"AAPL":-1}})"), 422,
       "invalid-quantity"},
      {"open account: position past the maximum",
       req("POST", "/v1/accounts", R"({"user_id":"eve","positions":{"AAPL":9223372036854775807}})"),
       422, "invalid-quantity"},
      {"open account: position a string",
       req("POST", "/v1/accounts", R"({"user_id":"eve","positions":{"AAPL":"1"}})"), 400,
       "wrong-type"},
      {"open account: positions an array",
       req("POST", "/v1/accounts", R"({"user_id":"eve","positions":[1]})"), 400, "wrong-type"},
      {"open account: existing user", req("POST", "/v1/accounts", R"({"user_id":"alice"})"), 409,
       "account-exists"},
      {"open account: XML", req("POST", "/v1/accounts", "<user>eve</user>",
                                {{"Content-Type", "application/xml"}}),
       415, "unsupported-media-type"},
      // --- GET /v1/accounts/{user_id} ----------------------------------------------------
      {"account: SQL injection", req("GET", "/v1/accounts/" + sqli), 404, "unknown-account"},
      {"account: NUL", req("GET", "/v1/accounts/alice%00"), 404, "unknown-account"},
      {"account: unicode", req("GET", "/v1/accounts/%C3%A5lice"), 404, "unknown-account"},
      {"account: too long", req("GET", "/v1/accounts/" + long_user), 404, "unknown-account"},
      {"account: unknown", req("GET", "/v1/accounts/nobody"), 404, "unknown-account"},
      // --- POST /v1/accounts/{user_id}/deposits -----------------------------------------
      {"deposit: empty object", req("POST", "/v1/accounts/alice/deposits", "{}"), 422,
       "invalid-deposit"},
      {"deposit: cash and shares",
       req("POST", "/v1/accounts/alice/deposits", R"({"cash":"1","symbol":"AAPL","quantity":1})"),
       422, "invalid-deposit"},
      {"deposit: cash zero", req("POST", "/v1/accounts/alice/deposits", R"({"cash":"0"})"), 422,
       "invalid-amount"},
      {"deposit: cash negative", req("POST", "/v1/accounts/alice/deposits", R"({"cash":"-10"})"),
       422, "invalid-amount"},
      {"deposit: cash past the maximum",
       req("POST", "/v1/accounts/alice/deposits", R"({"cash":"999999999999999999999"})"), 422,
       "amount-out-of-range"},
      {"deposit: cash null", req("POST", "/v1/accounts/alice/deposits", R"({"cash":null})"), 422,
       "missing-field"},
      {"deposit: quantity zero",
       req("POST", "/v1/accounts/alice/deposits", R"({"symbol":"AAPL","quantity":0})"), 422,
       "invalid-quantity"},
      {"deposit: quantity fractional",
       req("POST", "/v1/accounts/alice/deposits", R"({"symbol":"AAPL","quantity":0.5})"), 400,
       "wrong-type"},
      {"deposit: symbol injection",
       req("POST", "/v1/accounts/alice/deposits", R"({"symbol":"AAPL' --","quantity":1})"), 422,
       "invalid-symbol"},
      {"deposit: unknown symbol",
       req("POST", "/v1/accounts/alice/deposits", R"({"symbol":"NOPE","quantity":1})"), 422,
       "unknown-symbol"},
      {"deposit: Idempotency-Key too long",
       req("POST", "/v1/accounts/alice/deposits", R"({"cash":"1"})", {{"Idempotency-Key", key_200}}),
       422, "invalid-idempotency-key"},
      {"deposit: user SQL injection",
       req("POST", "/v1/accounts/" + sqli + "/deposits", R"({"cash":"1"})"), 404,
       "unknown-account"},
      {"deposit: unknown user", req("POST", "/v1/accounts/nobody/deposits", R"({"cash":"1"})"),
       404, "unknown-account"},
      {"deposit: GET", req("GET", "/v1/accounts/alice/deposits"), 405, "method-not-allowed"},
      // --- /v1/symbols, health, metrics, unknown routes and methods ---------------------
      {"symbols: POST", req("POST", "/v1/symbols", "{}"), 405, "method-not-allowed"},
      {"healthz: not a route", req("GET", "/healthz"), 404, "not-found"},
      {"readyz: POST", req("POST", "/readyz", "{}"), 405, "method-not-allowed"},
      {"livez: DELETE", req("DELETE", "/livez"), 405, "method-not-allowed"},
      {"metrics: PUT", req("PUT", "/metrics", "x", {{"Content-Type", "text/plain"}}), 405,
       "method-not-allowed"},
      {"unknown route", req("GET", "/v2/orders"), 404, "not-found"},
      {"path traversal", req("GET", "/v1/../../etc/passwd"), 404, "not-found"},
      {"encoded path traversal", req("GET", "/v1/accounts/..%2F..%2Fetc%2Fpasswd"), 404,
       "unknown-account"},
      {"unknown method on a route", req("BREW", "/v1/orders"), 405, "method-not-allowed"},
      {"absolute-form target", req("GET", "http://evil.example/v1/symbols"), 400, "bad-request"},
      {"asterisk target", req("OPTIONS", "*"), 400, "bad-request"},
      // --- HTTP-level abuse --------------------------------------------------------------
      {"garbage instead of HTTP", "\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n", 400,
       "bad-request"},
      {"no HTTP version", "GET /v1/symbols\r\n\r\n", 400, "bad-request"},
      {"HTTP/1.0 malformed order",
       "POST /v1/orders HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{x}",
       400, "malformed-json"},
      {"negative Content-Length", "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
       400, "bad-request"},
      {"two Content-Lengths",
       "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
       400, "bad-request"},
      {"Content-Length with chunked (smuggling)",
       "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400, "bad-request"},
      {"bad chunk size",
       "POST /v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
       400, "bad-request"},
      {"NUL in a header value", std::string("GET /v1/symbols HTTP/1.1\r\nHost: x\r\nX-A: a") + '\0' + "b\r\n\r\n",
       400, "bad-request"},
      {"space in a header name", "GET /v1/symbols HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n", 400,
       "bad-request"},
      {"header over 16 KiB",
       "GET /v1/symbols HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n",
       431, "header-too-large"},
      {"target over 16 KiB", "GET /v1/orders/" + std::string(20'000, '1') + " HTTP/1.1\r\n\r\n",
       431, "header-too-large"},
      // Many small fields: the limit holds for the whole header however TCP splits it
      // (Beast alone checks each parse step's bytes: 23 KB of fields once passed).
      {"2000 headers (23 KB)", [] {
         std::string bytes = "GET /v1/symbols HTTP/1.1\r\nHost: x\r\n";
         for (int i = 0; i < 2000; ++i) bytes += "X-H" + std::to_string(i) + ": v\r\n";
         return bytes + "\r\n";
       }(),
       431, "header-too-large"},
      {"5000 headers (58 KB)", [] {
         std::string bytes = "GET /v1/symbols HTTP/1.1\r\nHost: x\r\n";
         for (int i = 0; i < 5000; ++i) bytes += "X-H" + std::to_string(i) + ": v\r\n";
         return bytes + "\r\n";
       }(),
       431, "header-too-large"},
  };
}

struct Answer {
  int status = 0;
  std::string type;
  std::string content_type;
  std::string body;
};

Answer send_row(int port, const std::string& bytes) {
  RawConnection connection("127.0.0.1", static_cast<std::uint16_t>(port),
                           std::chrono::milliseconds(10'000));
  connection.send(bytes);  // the server may answer and close before reading everything
  auto response = connection.read_response();
  if (!response) return {};
  Answer answer{response->status, {}, response->header("Content-Type"), response->body};
  try {
    auto body = boost::json::parse(response->body).as_object();
    if (auto* type = body.if_contains("type"); type && type->is_string()) {
      answer.type = std::string(type->as_string());
    }
  } catch (const std::exception&) {
  }
  return answer;
}

// CHECKSUM TABLE of every table of the database, by table name.
std::map<std::string, std::string> checksums(const bourse::testing::TestDatabase& database) {
  soci::session session(soci::mysql, database.config().connection_string());
  std::vector<std::string> tables(512);
  // order_id_blocks is an id counter, not data (like an AUTO_INCREMENT): a request that
  // reaches the order committer may reserve a block of ids even when it is refused.
  session << "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
             "AND table_name <> 'order_id_blocks' ORDER BY table_name",
      soci::into(tables);
  REQUIRE(!tables.empty());
  std::string statement = "CHECKSUM TABLE ";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    statement += (i == 0 ? "`" : ", `") + tables[i] + "`";
  }
  std::map<std::string, std::string> result;
  soci::rowset<soci::row> rows = session.prepare << statement;
  for (const soci::row& row : rows) {
    std::string value = "NULL";
    if (row.get_indicator(1) != soci::i_null) {
      switch (row.get_properties(1).get_data_type()) {
        case soci::dt_unsigned_long_long:
          value = std::to_string(row.get<unsigned long long>(1));
          break;
        case soci::dt_long_long:
          value = std::to_string(row.get<long long>(1));
          break;
        case soci::dt_integer:
          value = std::to_string(row.get<int>(1));
          break;
        default:
          value = row.get<std::string>(1);
      }
    }
    result[row.get<std::string>(0)] = value;
  }
  return result;
}

// The checksums once two readings a second apart agree (relays and consumers of the
// set-up's events have finished), or the last reading after `timeout`.
std::map<std::string, std::string> settled_checksums(const bourse::testing::TestDatabase& database,
                                                     std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto previous = checksums(database);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto current = checksums(database);
    if (current == previous) return current;
    previous = std::move(current);
  }
  return previous;
}

}  // namespace

TEST_CASE("every hostile request is answered with its problem and writes nothing",
          "[hostile][integration]") {
  BourseProcess server;
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  HttpClient client = server.client();
  // The one valid write: an account that the deposit and order rows aim at.
  REQUIRE(client.post("/v1/accounts", R"({"user_id":"alice","cash":"1000","positions":{"AAPL":5}})")
              .status == 201);
  const auto before = settled_checksums(server.database(), std::chrono::seconds(30));

  const auto rows = hostile_rows();
  REQUIRE(rows.size() >= 50);
  for (const HostileRow& row : rows) {
    INFO("row: " << row.name);
    const Answer answer = send_row(server.port(), row.bytes);
    INFO("answer: " << answer.status << " " << answer.body);
    CHECK(answer.status == row.status);
    CHECK(answer.content_type == "application/problem+json");
    CHECK(answer.type == std::string(kProblemBase) + row.kind);
  }

  // The server is still fine, and nothing was written.
  CHECK(client.get("/v1/symbols").status == 200);
  CHECK(client.get("/v1/accounts/alice").body.find(R"("total":"1000")") != std::string::npos);
  const auto after = settled_checksums(server.database(), std::chrono::seconds(30));
  std::string changed;
  for (const auto& [table, checksum] : after) {
    const auto was = before.find(table);
    if (was == before.end() || was->second != checksum) changed += table + " ";
  }
  INFO("tables changed by the hostile rows: " << changed);
  CHECK(after.size() == before.size());
  CHECK(changed.empty());
  auto metrics = client.get("/metrics");
  CHECK(metrics.body.find("status=\"500\"") == std::string::npos);
}

TEST_CASE("a pipelined valid request is answered before the garbage behind it",
          "[hostile][integration]") {
  BourseProcess server;
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  RawConnection connection("127.0.0.1", static_cast<std::uint16_t>(server.port()));
  REQUIRE(connection.send("GET /v1/symbols HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
                          "\x01\x02GARBAGE \xff\r\n\r\n"));
  auto first = connection.read_response();
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->body.find("AAPL") != std::string::npos);
  auto second = connection.read_response();
  REQUIRE(second);
  CHECK(second->status == 200);
  auto third = connection.read_response();
  REQUIRE(third);
  CHECK(third->status == 400);
  CHECK(third->header("Content-Type") == "application/problem+json");
  CHECK(!third->keep_alive);
  bool closed = false;
  connection.read_until_close(closed, std::chrono::seconds(10));
  CHECK(closed);
}
