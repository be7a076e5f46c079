// The symbol table the fuzz targets validate against: the [symbols.*] of
// config/bourse.toml, loaded through the same config::load as `bourse serve`.
//
// The file is BOURSE_FUZZ_CONFIG from the environment if set, else the repository's
// config/bourse.toml (its path is compiled in). Loaded once; a bad file aborts the run.
#pragma once

#include "bourse/order/order_request.h"
#include "http/server.h"

namespace bourse::fuzz {

const order::InstrumentTable& configured_instruments();

// The HTTP server settings of the same file (body limit; the header limit is the
// built-in default, which the configuration does not override).
const http::ServerConfig& configured_server();

// Aborts (a libFuzzer crash, with the message) when `condition` is false: the targets'
// oracles are invariants, never "interesting" inputs.
void require(bool condition, const char* what);

}  // namespace bourse::fuzz
