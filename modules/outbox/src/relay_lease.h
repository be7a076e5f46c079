// The relay's lease: "exactly one active relay per outbox table" across every process
// that shares the database (docs/ARCHITECTURE.md, invariant 7). It is a db::SessionLease
// (a MySQL named lock on a session of its own) named after the outbox table; see
// bourse/db/session_lease.h for what a lease does and does not guarantee. In short it is
// NOT a fence: two relays may briefly publish the same rows, one more case of the
// relay's at-least-once delivery; consumers deduplicate by event_id.
#pragma once

#include <string>
#include <string_view>

#include "bourse/db/session_lease.h"

namespace bourse::outbox {

// "bourse_relay_<table>@<database>" (lease_name with role "relay_<table>").
std::string relay_lease_name(std::string_view database, std::string_view table);

}  // namespace bourse::outbox
