#include "routes/dead_letter_routes.h"

#include <boost/json.hpp>
#include <string>

#include "http/problem.h"
#include "routes/id_param.h"

namespace bourse::routes {
namespace {

boost::json::value optional_json(const std::optional<std::string>& text) {
  return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

boost::json::object to_json(const scheduler::DeadLetter& letter) {
  return boost::json::object{{"id", letter.id},
                             {"consumer_group", letter.consumer_group},
                             {"topic", letter.topic},
                             {"partition", letter.partition},
                             {"offset", letter.offset},
                             {"event_id", optional_json(letter.event_id)},
                             {"event_type", optional_json(letter.event_type)},
                             {"payload", letter.payload},
                             {"error", letter.error},
                             {"attempts", letter.attempts},
                             {"failed_at", letter.failed_at},
                             {"answered_at", optional_json(letter.answered_at)},
                             {"answer", optional_json(letter.answer)}};
}

Result<scheduler::DeadLetterQuery> parse_query(const http::Request& request) {
  scheduler::DeadLetterQuery query;
  if (auto limit = request.query_param("limit")) {
    auto value = parse_positive_id(*limit);
    if (!value || *value > scheduler::kMaxDeadLetterPageLimit) {
      return Error::invalid(
          "limit must be an integer 1.." + std::to_string(scheduler::kMaxDeadLetterPageLimit),
          "invalid_limit");
    }
    query.limit = static_cast<int>(*value);
  }
  if (auto cursor = request.query_param("starting_after")) {
    auto value = parse_positive_id(*cursor);
    if (!value) return Error::invalid("starting_after must be a dead letter id", "invalid_cursor");
    query.starting_after = *value;
  }
  if (auto group = request.query_param("group")) query.consumer_group = std::string(*group);
  if (auto unanswered = request.query_param("unanswered")) query.unanswered_only = *unanswered == "true";
  return query;
}

}  // namespace

void add_dead_letter_routes(http::Router& router, scheduler::DeadLetterAdmin& admin) {
  router.add_blocking("GET", "/v1/admin/dead-letters", [&admin](const http::Request& request) {
    auto query = parse_query(request);
    if (!query) return http::problem_from_error(query.error(), request.path);
    auto page = admin.list(*query);
    if (!page) return http::problem_from_error(page.error(), request.path);
    boost::json::array data;
    for (const auto& letter : page->data) data.push_back(to_json(letter));
    return http::json_response(
        200, boost::json::object{{"data", std::move(data)}, {"has_more", page->has_more}});
  });
  router.add_blocking("POST", "/v1/admin/dead-letters/{id}/retry", [&admin](const http::Request& request) {
    auto id = parse_positive_id(request.path_param("id"));
    if (!id) {
      return http::problem_from_error(
          Error{ErrorCode::kNotFound, "no such dead letter", "dead_letter_not_found"}, request.path);
    }
    auto answered = admin.retry(*id);
    if (!answered) return http::problem_from_error(answered.error(), request.path);
    return http::json_response(200, to_json(*answered));
  });
}

}  // namespace bourse::routes
