#include "bourse/db/sql_batch.h"

#include <mysql.h>
#include <soci/mysql/soci-mysql.h>

#include <string>

#include "bourse/common/assert.h"

namespace bourse::db {
namespace {

constexpr unsigned kErrCheckConstraint = 4025;

MYSQL* connection_of(soci::session& session) {
  // static_cast: libsoci_mysql exports no typeinfo for a dynamic_cast; the name is checked.
  BOURSE_ASSERT(session.get_backend_name() == "mysql", "a SOCI MySQL session");
  auto* backend = static_cast<soci::mysql_session_backend*>(session.get_backend());
  BOURSE_ASSERT(backend != nullptr && backend->conn_ != nullptr, "a connected session");
  return backend->conn_;
}

bool is_name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }

void append_value(MYSQL* connection, const SqlValue& value, std::string& out) {
  if (std::holds_alternative<std::monostate>(value)) {
    out += "NULL";
  } else if (const auto* number = std::get_if<long long>(&value)) {
    out += std::to_string(*number);
  } else {
    const std::string& text = std::get<std::string>(value);
    const std::size_t start = out.size();
    out.resize(start + 2 * text.size() + 3);  // the worst case of escaping, quotes, NUL
    out[start] = '\'';
    const unsigned long written =
        mysql_real_escape_string(connection, out.data() + start + 1, text.data(), text.size());
    BOURSE_ASSERT(written != static_cast<unsigned long>(-1), "escaping a bound string");
    out.resize(start + 1 + written);
    out += '\'';
  }
}

void render_into(MYSQL* connection, const SqlStatement& statement, std::string& out) {
  const std::string& text = statement.text;
  std::size_t next_value = 0;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    BOURSE_ASSERT(c != '\'' && c != '"' && c != ';', "batched statement text has no literals");
    if (c == ':' && i + 1 < text.size() && is_name_start(text[i + 1])) {
      BOURSE_ASSERT(next_value < statement.values.size(), "a value for every placeholder");
      append_value(connection, statement.values[next_value++], out);
      for (++i; i < text.size() && is_name_char(text[i]);) ++i;
      continue;
    }
    out += c;
    ++i;
  }
  BOURSE_ASSERT(next_value == statement.values.size(), "a placeholder for every value");
}

[[noreturn]] void throw_server_error(MYSQL* connection) {
  throw soci::mysql_soci_error(mysql_error(connection), static_cast<int>(mysql_errno(connection)));
}

// Every row of a stored result, which it frees.
std::vector<SqlRow> read_rows(MYSQL_RES* result) {
  std::vector<SqlRow> rows;
  rows.reserve(static_cast<std::size_t>(mysql_num_rows(result)));
  const unsigned columns = mysql_num_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    SqlRow& out = rows.emplace_back(columns);
    for (unsigned c = 0; c < columns; ++c) {
      if (row[c] != nullptr) out[c].emplace(row[c], lengths[c]);
    }
  }
  mysql_free_result(result);
  return rows;
}

}  // namespace

std::string render_statement(soci::session& session, const SqlStatement& statement) {
  std::string out;
  render_into(connection_of(session), statement, out);
  return out;
}

Result<std::vector<StatementOutcome>> execute_statements(soci::session& session,
                                                         std::span<const SqlStatement> statements) {
  BOURSE_ASSERT(!statements.empty() && statements.size() <= kMaxBatchStatements,
                "1..kMaxBatchStatements statements per batch");
  MYSQL* connection = connection_of(session);
  std::string text;
  for (const SqlStatement& statement : statements) {
    if (!text.empty()) text += ';';
    render_into(connection, statement, text);
  }
  std::vector<StatementOutcome> outcomes;
  outcomes.reserve(statements.size());
  // The failure of statement `i`: the server ran none after it.
  auto failed = [&](std::size_t i) -> Result<std::vector<StatementOutcome>> {
    if (mysql_errno(connection) == kErrCheckConstraint && statements[i].on_check_violation) {
      Error mapped = *statements[i].on_check_violation;
      mapped.message += std::string(": ") + mysql_error(connection);  // names the CHECK
      return mapped;
    }
    throw_server_error(connection);
  };
  if (mysql_real_query(connection, text.data(), text.size()) != 0) return failed(0);
  for (std::size_t i = 0;; ++i) {
    StatementOutcome outcome;
    if (MYSQL_RES* result = mysql_store_result(connection); result != nullptr) {
      outcome.rows = read_rows(result);
    } else if (mysql_field_count(connection) != 0) {
      throw_server_error(connection);  // it should have returned rows: reading them failed
    }
    outcome.affected_rows = static_cast<long long>(mysql_affected_rows(connection));
    outcome.last_insert_id = static_cast<long long>(mysql_insert_id(connection));
    if (statements[i].expected_rows) {
      BOURSE_ASSERT(outcome.affected_rows == *statements[i].expected_rows,
                    "a batched statement changed the rows it must");
    }
    outcomes.push_back(outcome);
    if (i + 1 == statements.size()) break;
    const int more = mysql_next_result(connection);
    if (more > 0) return failed(i + 1);
    BOURSE_ASSERT(more == 0, "the server ran every statement of the batch");
  }
  BOURSE_ASSERT(!mysql_more_results(connection), "no more results than statements");
  return outcomes;
}

StatementOutcome execute_statement(soci::session& session, const SqlStatement& statement) {
  BOURSE_ASSERT(!statement.on_check_violation, "a mapped failure needs execute_statements");
  auto outcomes = execute_statements(session, std::span<const SqlStatement>(&statement, 1));
  BOURSE_ASSERT(outcomes.ok(), "without a mapping every failure throws");
  return outcomes->front();
}

std::vector<SqlRow> begin_reading(soci::session& session, const SqlStatement& query) {
  return std::move(begin_reading(session, std::span<const SqlStatement>(&query, 1)).front());
}

std::vector<std::vector<SqlRow>> begin_reading(soci::session& session,
                                               std::span<const SqlStatement> queries) {
  BOURSE_ASSERT(!queries.empty() && queries.size() < kMaxBatchStatements,
                "1..kMaxBatchStatements - 1 reads after the BEGIN");
  std::vector<SqlStatement> opening;
  opening.reserve(1 + queries.size());
  opening.push_back(SqlStatement{"BEGIN", {}, std::nullopt, std::nullopt});
  for (const SqlStatement& query : queries) {
    BOURSE_ASSERT(!query.on_check_violation, "every failure of a read throws");
    opening.push_back(query);
  }
  auto outcomes = execute_statements(session, opening);
  BOURSE_ASSERT(outcomes.ok() && outcomes->size() == opening.size(), "unmapped failures throw");
  std::vector<std::vector<SqlRow>> rows;
  rows.reserve(queries.size());
  for (std::size_t i = 1; i < outcomes->size(); ++i) rows.push_back(std::move((*outcomes)[i].rows));
  return rows;
}

void enable_statement_batches(soci::session& session) {
  MYSQL* connection = connection_of(session);
  if (mysql_set_server_option(connection, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
    throw_server_error(connection);
  }
}

}  // namespace bourse::db
