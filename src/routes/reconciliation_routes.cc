#include "routes/reconciliation_routes.h"

#include "http/problem.h"

namespace bourse::routes {
namespace {

constexpr std::string_view kPath = "/v1/admin/reconciliation";

http::Response run(scheduler::ReconciliationService& reconciliation, const http::Request& request) {
  auto report = reconciliation.run_now();
  if (!report) return http::problem_from_error(report.error(), request.path);
  return http::text_response(200, scheduler::serialize(*report), "application/json");
}

http::Response last(scheduler::ReconciliationService& reconciliation,
                    const http::Request& request) {
  auto report = reconciliation.last_report();
  if (!report) return http::problem_from_error(report.error(), request.path);
  if (!*report) {
    return http::problem_from_error(
        Error{ErrorCode::kNotFound, "no reconciliation run was recorded yet",
              "no_reconciliation_yet"},
        request.path);
  }
  return http::text_response(200, std::move(**report), "application/json");
}

}  // namespace

void add_reconciliation_routes(http::Router& router,
                               scheduler::ReconciliationService& reconciliation) {
  router.add_blocking("POST", kPath, [&reconciliation](const http::Request& request) {
    return run(reconciliation, request);
  });
  router.add_blocking("GET", kPath, [&reconciliation](const http::Request& request) {
    return last(reconciliation, request);
  });
}

}  // namespace bourse::routes
