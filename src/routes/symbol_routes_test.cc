// Goal: GET /v1/symbols over a real HTTP server answers the symbol table as the contract
// in symbol_routes.h says: every symbol once, ordered by symbol, prices as decimal
// strings, the limits as integers.
#include "routes/symbol_routes.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <optional>

#include "http/server.h"
#include "http_client.h"

namespace bourse::routes {
namespace {

using bourse::testing::HttpClient;

Instrument instrument(const std::string& symbol, const char* tick, std::int64_t lot,
                      std::int64_t max_quantity, const char* reference, std::int32_t band) {
  Instrument result;
  result.symbol = symbol;
  result.tick_size = Amount::parse(tick).value();
  result.lot_size = lot;
  result.max_order_quantity = max_quantity;
  result.reference_price = Amount::parse(reference).value();
  result.price_band_bps = band;
  REQUIRE(validate_instrument(result).ok());
  return result;
}

// The symbol routes on an ephemeral loopback port.
struct SymbolApi {
  explicit SymbolApi(const std::map<std::string, Instrument>& symbols,
                     const ReferencePriceSource& references =
                         ConfiguredReferencePrices::instance()) {
    add_symbol_routes(router, symbols, references);
    http::ServerConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.io_threads = 1;
    server.emplace(config, router, registry);
    REQUIRE(server->start().ok());
  }
  ~SymbolApi() { server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)); }

  HttpClient client() { return HttpClient("127.0.0.1", server->port()); }

  metrics::Registry registry;
  http::Router router;
  std::optional<http::Server> server;
};

// A reference price source the test moves by hand (what the live view does on refresh).
class MovableReferences final : public ReferencePriceSource {
 public:
  Amount reference_price(const Instrument& instrument) const override {
    std::lock_guard lock(mutex_);
    const auto found = prices_.find(instrument.symbol);
    return found == prices_.end() ? instrument.reference_price : found->second;
  }
  void set(const std::string& symbol, const char* price) {
    std::lock_guard lock(mutex_);
    prices_[symbol] = Amount::parse(price).value();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Amount> prices_;
};

}  // namespace

TEST_CASE("GET /v1/symbols serves the current reference price of each symbol",
          "[symbols][routes]") {
  std::map<std::string, Instrument> symbols;
  symbols.emplace("AAPL", instrument("AAPL", "0.01", 1, 1'000'000, "150", 1'000));
  MovableReferences references;
  SymbolApi api(symbols, references);
  auto first = boost::json::parse(api.client().get("/v1/symbols").body);
  CHECK(first.at("data").as_array()[0].at("reference_price").as_string() == "150");
  references.set("AAPL", "163.41");
  auto moved = boost::json::parse(api.client().get("/v1/symbols").body);
  CHECK(moved.at("data").as_array()[0].at("reference_price").as_string() == "163.41");
}

TEST_CASE("GET /v1/symbols lists the symbol table ordered by symbol", "[symbols][routes]") {
  std::map<std::string, Instrument> symbols;
  for (Instrument item : {instrument("MSFT", "0.01", 1, 1'000'000, "400.00", 1'000),
                          instrument("BRK.A", "1", 1, 1'000, "700000", 500),
                          instrument("AAPL", "0.01", 1, 1'000'000, "150.25", 1'000),
                          instrument("LOTS", "0.0005", 100, 10'000, "20.5", 2'500)}) {
    symbols.emplace(item.symbol, item);
  }
  SymbolApi api(symbols);
  symbols.clear();  // read at registration: later changes are not seen

  auto response = api.client().get("/v1/symbols");
  REQUIRE(response.status == 200);
  CHECK(response.header("Content-Type") == "application/json");
  const auto body = boost::json::parse(response.body).as_object();
  REQUIRE(body.size() == 1);
  const auto& data = body.at("data").as_array();
  REQUIRE(data.size() == 4);
  std::vector<std::string> order;
  for (const auto& entry : data) order.emplace_back(entry.at("symbol").as_string());
  CHECK(order == std::vector<std::string>{"AAPL", "BRK.A", "LOTS", "MSFT"});
  CHECK(data[0].as_object() == boost::json::object{{"symbol", "AAPL"},
                                                   {"tick_size", "0.01"},
                                                   {"lot_size", 1},
                                                   {"max_order_quantity", 1'000'000},
                                                   {"reference_price", "150.25"},
                                                   {"price_band_bps", 1'000}});
  CHECK(data[1].at("tick_size").as_string() == "1");
  CHECK(data[1].at("reference_price").as_string() == "700000");
  CHECK(data[1].at("max_order_quantity").as_int64() == 1'000);
  CHECK(data[2].at("tick_size").as_string() == "0.0005");
  CHECK(data[2].at("lot_size").as_int64() == 100);
  CHECK(data[2].at("reference_price").as_string() == "20.5");
  CHECK(data[2].at("price_band_bps").as_int64() == 2'500);
  CHECK(data[3].at("reference_price").as_string() == "400");

  auto again = api.client().get("/v1/symbols");
  CHECK(again.body == response.body);
  auto post = api.client().post("/v1/symbols", "{}");
  CHECK(post.status == 405);
  CHECK(post.header("Allow") == "GET");
}

TEST_CASE("GET /v1/symbols with an empty symbol table is an empty list", "[symbols][routes]") {
  SymbolApi api({});
  auto response = api.client().get("/v1/symbols");
  REQUIRE(response.status == 200);
  CHECK(response.body == R"({"data":[]})");
}

}  // namespace bourse::routes
