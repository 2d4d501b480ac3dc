#include "query/tempo/tempo_api.h"
namespace polytrace::query {
HttpResponse TempoApi::Search(const HttpRequest&) { return HttpResponse::Text(501, "todo"); }
}  // namespace polytrace::query
