// QueryService: the HTTP API on :16686. Routes each request to the Jaeger
// API or the Tempo API (both read the same store); /api/traces/{id} is
// shared: Jaeger JSON by default, tempopb.Trace protobuf when the client
// sends `Accept: application/protobuf` (as Grafana's Tempo source does).
// Answers that read much of the store take turns (query/heavy_turns.h), so
// quick ones are served at once however many searches run.
#pragma once

#include <functional>
#include <optional>

#include "net/http_server.h"
#include "query/answer_budget.h"
#include "query/heavy_turns.h"
#include "query/semconv_search.h"
#include "query/static_files.h"
#include "store/engine/store.h"

namespace polytrace::query {

class QueryService {
 public:
  // `resolve` returns the store to serve, or nullptr while it is not open.
  // `ui`: the web UI's assets, served at every path outside /api/ (none: no UI).
  explicit QueryService(std::function<const store::Store*()> resolve,
                        std::optional<StaticFiles> ui = std::nullopt, QueryOptions options = {})
      : resolve_(std::move(resolve)),
        ui_(std::move(ui)),
        options_(options),
        heavy_(options.heavy_running, options.heavy_waiting) {
    if (options_.answer_budget == nullptr) options_.answer_budget = &answers_;
  }
  QueryService(const QueryService&) = delete;  // options_ points into it
  QueryService& operator=(const QueryService&) = delete;
  HttpResponse Handle(HttpRequest& request);

 private:
  HttpResponse Route(HttpRequest& request);
  AnswerBudget& answers_budget() { return *options_.answer_budget; }

  std::function<const store::Store*()> resolve_;
  std::optional<StaticFiles> ui_;
  AnswerBudget answers_;  // every API's answers waiting for their clients, together
  QueryOptions options_;
  HeavyTurns heavy_;  // searches, analyses: a few at a time
};

}  // namespace polytrace::query
