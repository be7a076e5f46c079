#include "routes/account_routes.h"

#include <boost/json.hpp>
#include <map>
#include <string>

#include "bourse/common/ids.h"
#include "bourse/common/limits.h"
#include "bourse/common/uuid.h"
#include "bourse/json/fields.h"
#include "http/json_body.h"
#include "http/problem.h"

namespace bourse::routes {
namespace {

boost::json::object to_json(const account::AccountSnapshot& snapshot) {
  boost::json::array positions;
  for (const auto& position : snapshot.positions) {
    positions.push_back(boost::json::object{{"symbol", position.symbol},
                                            {"quantity", position.quantity.value()},
                                            {"reserved", position.reserved.value()},
                                            {"available", position.available.value()}});
  }
  return boost::json::object{
      {"user_id", snapshot.user_id},
      {"cash", boost::json::object{{"currency", snapshot.cash.currency},
                                   {"total", snapshot.cash.total.to_string()},
                                   {"reserved", snapshot.cash.reserved.to_string()},
                                   {"available", snapshot.cash.available.to_string()}}},
      {"positions", positions}};
}

// The account module reports a reused deposit key as a conflict; the HTTP contract
// answers it 422 (the request is semantically invalid, not a state conflict).
http::Response problem(const Error& error, const http::Request& request) {
  if (error.reason == "idempotency_key_reused") {
    Error as_invalid = error;
    as_invalid.code = ErrorCode::kInvalidArgument;
    return http::problem_from_error(as_invalid, request.path);
  }
  return http::problem_from_error(error, request.path);
}

using SymbolTable = std::map<std::string, Instrument>;

// A well-formed symbol that the symbol table knows.
Status check_symbol(std::string_view symbol, const SymbolTable& symbols) {
  if (Status valid = validate_symbol(symbol); !valid) return valid;
  if (symbols.find(std::string(symbol)) == symbols.end()) {
    return Error::invalid("unknown symbol " + std::string(symbol), "unknown_symbol");
  }
  return Status::success();
}

Result<Quantity> parse_quantity(const boost::json::value& value, std::string_view field) {
  if (!value.is_int64() && !value.is_uint64()) {
    return Error{ErrorCode::kMalformed, std::string(field) + " must be an integer", "wrong_type"};
  }
  if (value.is_uint64() || value.as_int64() < 0) {
    return Error::invalid(std::string(field) + " must be between 0 and " +
                              std::to_string(Quantity::kMax),
                          "invalid_quantity");
  }
  auto quantity = Quantity::checked_of(value.as_int64());
  if (!quantity) return Error::invalid(quantity.error().message, "invalid_quantity");
  return quantity;
}

Result<Amount> parse_cash(const boost::json::object& body, bool required) {
  auto text = json::optional_string(body, "cash");
  if (!text) return text.error();
  if (!text->has_value()) {
    if (required) return Error::invalid("cash is required", "missing_field");
    return Amount{};
  }
  auto amount = Amount::parse(**text);
  if (!amount) return amount.error();
  if (amount->is_negative()) return Error::invalid("cash must not be negative", "invalid_amount");
  return amount;
}

// A reference for a deposit without Idempotency-Key: a random UUID, so it never replays.
std::string fresh_reference() { return "auto-" + random_uuid_v4(); }

http::Response open_account(account::AccountService& accounts, const SymbolTable& symbols,
                            const http::Request& request) {
  auto body = http::parse_json_object(request);
  if (!body) return problem(body.error(), request);
  auto user_id = json::require_string(*body, "user_id");
  if (!user_id) return problem(user_id.error(), request);
  Status valid_user = validate_user_id(*user_id);
  if (!valid_user) return problem(valid_user.error(), request);
  auto cash = parse_cash(*body, /*required=*/false);
  if (!cash) return problem(cash.error(), request);
  std::map<std::string, Quantity> positions;
  auto positions_json = json::optional_object(*body, "positions");
  if (!positions_json) return problem(positions_json.error(), request);
  if (*positions_json != nullptr) {
    if ((*positions_json)->size() > account::kMaxOpeningPositions) {
      return problem(Error::invalid("too many positions", "too_many_positions"), request);
    }
    for (const auto& [symbol, value] : **positions_json) {
      Status known_symbol = check_symbol(symbol, symbols);
      if (!known_symbol) return problem(known_symbol.error(), request);
      auto quantity = parse_quantity(value, "positions." + std::string(symbol));
      if (!quantity) return problem(quantity.error(), request);
      positions.emplace(std::string(symbol), *quantity);
    }
  }
  Status opened = accounts.open_account(*user_id, *cash, positions);
  if (!opened) return problem(opened.error(), request);
  auto snapshot = accounts.get_account(*user_id);
  if (!snapshot) return problem(snapshot.error(), request);
  http::Response response = http::json_response(201, to_json(*snapshot));
  response.headers.set("Location", "/v1/accounts/" + *user_id);
  return response;
}

http::Response deposit(account::AccountService& accounts, const SymbolTable& symbols,
                       const http::Request& request) {
  std::string user_id(request.path_param("user_id"));
  if (!validate_user_id(user_id)) {
    return problem(Error{ErrorCode::kNotFound, "no account for user " + user_id, "unknown_account"},
                   request);
  }
  std::string reference;
  if (auto key = request.header("Idempotency-Key")) {
    if (key->empty() || key->size() > limits::kMaxIdempotencyKeyLength) {
      return problem(Error::invalid("Idempotency-Key must have 1 to " +
                                        std::to_string(limits::kMaxIdempotencyKeyLength) +
                                        " characters",
                                    "invalid_idempotency_key"),
                     request);
    }
    reference = "key:" + std::string(*key);
  } else {
    reference = fresh_reference();
  }
  auto body = http::parse_json_object(request);
  if (!body) return problem(body.error(), request);
  const bool has_cash = body->contains("cash");
  const bool has_shares = body->contains("symbol") || body->contains("quantity");
  if (has_cash == has_shares) {
    return problem(Error::invalid("a deposit is either {\"cash\"} or {\"symbol\",\"quantity\"}",
                                  "invalid_deposit"),
                   request);
  }
  Result<account::DepositOutcome> outcome = account::DepositOutcome{};
  if (has_cash) {
    auto cash = parse_cash(*body, /*required=*/true);
    if (!cash) return problem(cash.error(), request);
    if (cash->is_zero()) return problem(Error::invalid("cash must be positive", "invalid_amount"), request);
    outcome = accounts.deposit_cash(user_id, *cash, reference);
  } else {
    auto symbol = json::require_string(*body, "symbol");
    if (!symbol) return problem(symbol.error(), request);
    Status known_symbol = check_symbol(*symbol, symbols);
    if (!known_symbol) return problem(known_symbol.error(), request);
    auto quantity_value = body->find("quantity");
    if (quantity_value == body->end()) {
      return problem(Error::invalid("quantity is required", "missing_field"), request);
    }
    auto quantity = parse_quantity(quantity_value->value(), "quantity");
    if (!quantity) return problem(quantity.error(), request);
    if (quantity->is_zero()) {
      return problem(Error::invalid("quantity must be positive", "invalid_quantity"), request);
    }
    outcome = accounts.deposit_shares(user_id, *symbol, *quantity, reference);
  }
  if (!outcome) return problem(outcome.error(), request);
  auto snapshot = accounts.get_account(user_id);
  if (!snapshot) return problem(snapshot.error(), request);
  http::Response response = http::json_response(200, to_json(*snapshot));
  if (outcome->replayed) response.headers.set("Idempotent-Replayed", "true");
  return response;
}

}  // namespace

void add_account_routes(http::Router& router, account::AccountService& accounts,
                        const SymbolTable& symbols) {
  router.add_blocking("POST", "/v1/accounts", [&accounts, &symbols](const http::Request& request) {
    return open_account(accounts, symbols, request);
  });
  router.add_blocking("POST", "/v1/accounts/{user_id}/deposits",
                      [&accounts, &symbols](const http::Request& request) {
                        return deposit(accounts, symbols, request);
                      });
  router.add_blocking("GET", "/v1/accounts/{user_id}", [&accounts](const http::Request& request) {
    std::string user_id(request.path_param("user_id"));
    // No account can have an invalid id: that is simply an unknown resource.
    if (!validate_user_id(user_id)) {
      return problem(Error{ErrorCode::kNotFound, "no account for user " + user_id, "unknown_account"},
                     request);
    }
    auto snapshot = accounts.get_account(user_id);
    if (!snapshot) return problem(snapshot.error(), request);
    return http::json_response(200, to_json(*snapshot));
  });
}

}  // namespace bourse::routes
