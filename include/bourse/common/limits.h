// Every limit in one place, with the reason next to the number.
//
// A limit that is not here is a bug: unbounded queues, bodies and batches are how a
// service falls over under load. Runtime-configurable limits take their defaults from
// here and are validated against the hard ceilings here at start-up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bourse::limits {

// --- Money and quantities -------------------------------------------------------
// Decimal places of every cash amount and price. 4 covers equities (0.01) and FX-like
// ticks (0.0001) while leaving int64 headroom for large notionals.
inline constexpr int kAmountScaleDigits = 4;
inline constexpr std::int64_t kAmountScale = 10'000;
// Largest absolute cash amount or price, in scaled units: 10^15 units = 10^11 currency
// units. Any product (price x quantity) past this is rejected rather than wrapped, and
// sums of two such values still fit int64 (2 x 10^15 << 9.2 x 10^18).
inline constexpr std::int64_t kMaxAmountUnits = 1'000'000'000'000'000;
// Largest share quantity in one balance or order book level: 10^12 shares.
inline constexpr std::int64_t kMaxQuantity = 1'000'000'000'000;
// Longest decimal string accepted for an amount ("-" + 15 digits + "." + 4 digits).
inline constexpr std::size_t kMaxAmountTextLength = 24;

// --- Identifiers ------------------------------------------------------------------
inline constexpr std::size_t kMaxUserIdLength = 64;
inline constexpr std::size_t kMaxSymbolLength = 16;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 128;

// --- HTTP ------------------------------------------------------------------------
// Orders and account requests are a few hundred bytes; 64 KiB leaves room for future
// fields and rejects abuse early (413).
inline constexpr std::size_t kMaxHttpBodyBytes = 64 * 1024;
inline constexpr std::size_t kMaxHttpHeaderBytes = 16 * 1024;
// A client that does not finish sending a request in this time is disconnected.
inline constexpr std::chrono::seconds kHttpReadTimeout{15};
// Idle keep-alive connections are closed after this.
inline constexpr std::chrono::seconds kHttpIdleTimeout{60};
inline constexpr std::size_t kMaxHttpConnections = 10'000;
inline constexpr int kMaxHttpIoThreads = 64;

// --- Blocking work pool ------------------------------------------------------------
// Jobs waiting for a database worker. Past this the server answers 503 + Retry-After
// rather than queueing without bound.
inline constexpr std::size_t kMaxBlockingQueueDepth = 4'096;
inline constexpr int kMaxBlockingThreads = 256;

// --- Database ----------------------------------------------------------------------
inline constexpr int kMaxDbPoolSize = 256;
inline constexpr std::chrono::seconds kDbConnectTimeout{5};
inline constexpr std::chrono::seconds kDbPoolAcquireTimeout{5};
// A pooled session idle for longer than this is pinged (one round trip) before it is
// handed out, so that one left stale by a database restart is replaced instead of
// failing its caller's first statement. A busy session skips the round trip: a restart
// takes longer than this, so every session that lived through one was idle that long.
inline constexpr std::chrono::milliseconds kDbPingIdleSessionsAfter{1'000};
// Migrations wait this long for the named lock held by a concurrent migrator.
inline constexpr std::chrono::seconds kMigrationLockTimeout{60};

// --- Kafka -------------------------------------------------------------------------
inline constexpr std::chrono::seconds kKafkaDeliveryTimeout{30};
inline constexpr int kMaxTopicPartitions = 1'024;
inline constexpr std::size_t kMaxKafkaMessageBytes = 1024 * 1024;

}  // namespace bourse::limits
