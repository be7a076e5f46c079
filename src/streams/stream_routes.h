// HTTP routes of the live streams (Server-Sent Events, docs/STREAMS.md):
//
//   GET /v1/orders/stream?user_id=<id>   200 text/event-stream: the user's order updates
//   GET /v1/market/{symbol}/stream       200 text/event-stream: the symbol's trades and quotes
//
// Both honour the Last-Event-ID header (resume). A missing or invalid user_id, or an
// invalid Last-Event-ID: 400 problem (kinds invalid-user-id, invalid-last-event-id). A
// symbol not in the symbol table: 404 unknown-symbol. Too many open streams, or the
// streams still starting: 503 problem with Retry-After.
//
// The subscription (a ring scan, and a database read for the market quote) runs on the
// blocking pool; the stream itself is then written by the server's I/O threads.
#pragma once

#include <map>
#include <string>

#include "bourse/common/instrument.h"
#include "http/router.h"
#include "streams/stream_hub.h"

namespace bourse::streams {

// REQUIRES: `router` has a blocking pool; `hub` and `symbols` outlive it.
void add_stream_routes(http::Router& router, StreamHub& hub,
                       const std::map<std::string, Instrument>& symbols);

}  // namespace bourse::streams
