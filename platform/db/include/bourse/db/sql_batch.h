// Statements sent to MariaDB together: several writes, and a transaction's COMMIT, in one
// round trip (the client protocol's multi-statements).
//
// Why: on a loaded machine every round trip waits for both processes to be scheduled,
// and an order group's writes need nothing back but "it worked". So a caller can build
// its writes as SqlStatements (text + values, nothing sent yet) and either run one now
// (execute_statement) or hand them to ConnectionPool::in_transaction_ending_with, which
// sends them with the COMMIT.
//
// Values are never pasted raw: each is rendered as a literal by the client library's
// mysql_real_escape_string for the connection's character set (what SOCI's MySQL backend
// does with bound values), strings quoted, integers in decimal, NULL as NULL.
//
// Contract of a statement's text: placeholders are SOCI-style names (":p0_0", ":v1", see
// sql_text.h), one per value, in order; the text has no quotes and no semicolons (no
// literals in which a ':' could pass for a placeholder: every value is bound). Asserted.
#pragma once

#include <soci/session.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bourse/common/error.h"

namespace bourse::db {

// A bound value: NULL, an integer, or a string.
using SqlValue = std::variant<std::monostate, long long, std::string>;

struct SqlStatement {
  std::string text;
  std::vector<SqlValue> values;
  // When the statement fails a CHECK constraint (4025), the batch returns this error
  // (its message followed by the server's, which names the CHECK) instead of throwing:
  // the caller's way to say what such a failure means.
  std::optional<Error> on_check_violation;
  // The rows it must report as changed; any other count is a bug and is asserted.
  std::optional<long long> expected_rows;
};

// One row of a statement's result set, in the text protocol's form: each column's text,
// or nullopt for NULL. The caller converts (and asserts) what it expects.
using SqlRow = std::vector<std::optional<std::string>>;

// What the server reported for one statement (mysql_affected_rows, mysql_insert_id), and
// the rows of a statement that returns some (a SELECT), in order.
struct StatementOutcome {
  long long affected_rows = 0;
  long long last_insert_id = 0;
  std::vector<SqlRow> rows;
};

// The statement as the server will see it, values rendered as escaped literals.
// REQUIRES: `session` is connected (escaping depends on its character set); the text
// contract above; as many placeholders as values.
std::string render_statement(soci::session& session, const SqlStatement& statement);

// Runs `statements` in order, in one round trip, on `session` (inside the caller's
// transaction, if any), and reports each one's outcome. The first statement that fails
// stops the rest (the server runs none after it). A CHECK failure of a statement with
// on_check_violation is returned as that error; any other failure is thrown as SOCI's
// soci::mysql_soci_error, so that sql_error.h classifies it like any other statement's.
// REQUIRES: 1..kMaxBatchStatements statements; more than one only on a session set up by
// enable_statement_batches (every ConnectionPool session is). A statement that returns
// rows (a SELECT) has them in its outcome, read whole into memory: bound it (LIMIT).
Result<std::vector<StatementOutcome>> execute_statements(soci::session& session,
                                                         std::span<const SqlStatement> statements);

// BEGIN and `query` in ONE round trip: opens a transaction (ConnectionPool::Begin::kByWork)
// with its first read, typically a locking one, and returns that read's rows. Every
// failure throws. REQUIRES: a session set up by enable_statement_batches; no transaction
// open; `query` has no on_check_violation.
std::vector<SqlRow> begin_reading(soci::session& session, const SqlStatement& query);
// The same with several reads, run in order after the BEGIN, still in ONE round trip;
// returns each read's rows, in the order of `queries`. REQUIRES: 1..kMaxBatchStatements - 1
// queries, none with on_check_violation; the rest as above.
std::vector<std::vector<SqlRow>> begin_reading(soci::session& session,
                                               std::span<const SqlStatement> queries);

// One statement, now, for the common case of no on_check_violation: every failure
// throws, so the outcome comes back directly. REQUIRES: !statement.on_check_violation.
StatementOutcome execute_statement(soci::session& session, const SqlStatement& statement);

// Lets `session` send several statements per round trip (COM_SET_OPTION, one round trip).
// Throws what SOCI would on a lost connection.
void enable_statement_batches(soci::session& session);

// Bounds one batch's statement count: an order group's writes are at most 6 statements +
// COMMIT; a settlement batch of the consumer's largest (5,000 messages) about 90. What
// really bounds a batch is its text, which must stay under the server's
// max_allowed_packet (16 MiB by default; a default 200-message settlement batch is
// ~0.5 MB): past it the server refuses the batch (error 1153) and nothing is written.
inline constexpr std::size_t kMaxBatchStatements = 256;

}  // namespace bourse::db
