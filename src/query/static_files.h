// The web UI's built assets (ui/dist), served by the query server beside the
// APIs. A path that names no file and has no extension gets index.html, so
// the UI's deep links (/trace/{id}, /search?..., /map) load the app.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/http_server.h"

namespace polytrace::query {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  // nullopt when the path is not a UI path (the caller answers 404).
  std::optional<HttpResponse> Serve(const HttpRequest& request) const;
  const std::string& root() const { return root_; }

  // The first of `candidates` holding an index.html; empty if none does.
  static std::string FindRoot(const std::vector<std::string>& candidates);
  // Where a UI is looked for when the config names none: beside the binary
  // (<exe dir>/ui, <exe dir>/../share/polytrace/ui) and in the source tree
  // the binary was built in (<repo>/ui/dist for build/<preset>/src/polytrace).
  static std::vector<std::string> DefaultCandidates();

 private:
  std::string root_;
};

}  // namespace polytrace::query
