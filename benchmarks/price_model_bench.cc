// GbmPriceModel::step: nanoseconds per step (one symbol), and the cost of one generator
// round's arithmetic for N symbols. The database work of a round (one SELECT of the
// table, one of market_view, one UPDATE per moved symbol) dominates a real round; this
// shows the model itself is negligible next to it. Prints figures, then one JSON line.
//
//   price_model_bench [--steps N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bourse/market_data/gbm_price_model.h"

using bourse::Amount;
using bourse::market_data::GbmParameters;
using bourse::market_data::GbmPriceModel;

int main(int argc, char** argv) {
  long long steps = 10'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--steps") == 0) steps = std::atoll(argv[i + 1]);
  }
  GbmParameters parameters;
  parameters.volatility = 0.3;
  parameters.pull = 0.01;
  GbmPriceModel model(parameters, Amount::parse("0.01").value(), Amount::parse("150").value(), 42);
  const Amount trade = Amount::parse("151").value();
  long long checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (long long i = 0; i < steps; ++i) {
    checksum += model.step((i & 1) != 0 ? std::optional<Amount>(trade) : std::nullopt).units();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double ns_per_step = seconds * 1e9 / static_cast<double>(steps);
  std::printf("steps: %lld in %.3f s: %.1f ns/step (%.2f M steps/s); final %s (checksum %lld)\n",
              steps, seconds, ns_per_step, steps / seconds / 1e6, model.price().to_string().c_str(),
              checksum);
  std::printf("a 1,000-symbol round's model arithmetic: %.1f us\n", ns_per_step * 1000 / 1e3);
  std::printf("{\"bench\":\"price_model\",\"steps\":%lld,\"ns_per_step\":%.1f}\n", steps,
              ns_per_step);
  return 0;
}
