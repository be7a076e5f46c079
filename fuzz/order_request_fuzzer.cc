// libFuzzer target: bytes -> POST /v1/orders body parsing and validation, as the order
// route does it (bourse::json::parse_object, then order::parse_order_request against the
// configured symbol table).
//
// Oracles (each broken one aborts):
// - an error is always a client error: its problem is 400 or 422, never 5xx;
// - an accepted request passes validate_order_request (the committer's re-check), has a
//   positive quantity within the symbol's maximum and a price exactly for LIMIT;
// - an accepted request written back to JSON parses to the same request.
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bourse/json/fields.h"
#include "bourse/order/order_request.h"
#include "fuzz_instruments.h"
#include "http/problem.h"

namespace {

using bourse::fuzz::require;
namespace order = bourse::order;

void require_client_error(const bourse::Error& error) {
  const int status = bourse::http::problem_from_error(error).status;
  require(status == 400 || status == 422, "an order request error must be 400 or 422");
}

boost::json::object to_json(const order::OrderRequest& request) {
  boost::json::object body;
  body["user_id"] = request.user_id;
  body["symbol"] = request.symbol;
  body["side"] = order::to_string(request.side);
  body["type"] = order::to_string(request.type);
  body["quantity"] = request.quantity.value();
  body["time_in_force"] = order::to_string(request.time_in_force);
  if (request.price) body["price"] = request.price->to_string();
  return body;
}

bool same(const order::OrderRequest& a, const order::OrderRequest& b) {
  return a.user_id == b.user_id && a.symbol == b.symbol && a.side == b.side &&
         a.type == b.type && a.time_in_force == b.time_in_force && a.quantity == b.quantity &&
         a.price == b.price;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& instruments = bourse::fuzz::configured_instruments();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = bourse::json::parse_object(text);
  if (!body) {
    require_client_error(body.error());
    return 0;
  }
  auto request = order::parse_order_request(*body, instruments);
  if (!request) {
    require_client_error(request.error());
    return 0;
  }
  require(order::validate_order_request(*request, instruments).ok(),
          "an accepted request must pass validate_order_request");
  const auto& instrument = instruments.at(request->symbol);
  require(request->quantity.value() > 0 &&
              request->quantity.value() <= instrument.max_order_quantity,
          "an accepted quantity must be in 1..max_order_quantity");
  require(request->price.has_value() == (request->type == bourse::OrderType::kLimit),
          "an accepted request has a price exactly when it is a LIMIT");

  const std::string written = boost::json::serialize(to_json(*request));
  auto reparsed_body = bourse::json::parse_object(written);
  require(reparsed_body.ok(), "a written request must parse");
  auto reparsed = order::parse_order_request(*reparsed_body, instruments);
  require(reparsed.ok() && same(*reparsed, *request), "a written request must round-trip");
  return 0;
}
