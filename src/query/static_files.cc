#include "query/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "query/query_params.h"

namespace polytrace::query {
namespace {

namespace fs = std::filesystem;

std::string_view ContentType(const fs::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::optional<HttpResponse> StaticFiles::Serve(const HttpRequest& request) const {
  std::optional<std::string> decoded = PercentDecode(request.path);
  if (!decoded || decoded->empty() || (*decoded)[0] != '/') return std::nullopt;
  // "app.js%00.html": a NUL ends the name for the OS but not the extension.
  if (decoded->find('\0') != std::string::npos) return std::nullopt;
  fs::path relative = fs::path(decoded->substr(1)).lexically_normal();
  // Nothing outside the UI directory: no "..", no absolute paths.
  if (!relative.empty() && (relative.is_absolute() || *relative.begin() == "..")) {
    return std::nullopt;
  }
  fs::path file = fs::path(root_) / relative;
  std::error_code ec;
  bool is_file = !relative.empty() && fs::is_regular_file(file, ec);
  if (!is_file) {
    // An asset that is missing is a 404; any other path is a route of the app.
    if (relative.has_extension()) return std::nullopt;
    file = fs::path(root_) / "index.html";
  }
  std::optional<std::string> body = ReadFile(file);
  if (!body) return std::nullopt;
  HttpResponse r = HttpResponse::WithBody(200, std::string(ContentType(file)), std::move(*body));
  // Vite names bundles by content hash: they never change under their name.
  bool hashed = relative.begin() != relative.end() && *relative.begin() == "assets";
  r.SetHeader("Cache-Control",
              hashed && is_file ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

std::string StaticFiles::FindRoot(const std::vector<std::string>& candidates) {
  std::error_code ec;
  for (const std::string& c : candidates) {
    if (fs::is_regular_file(fs::path(c) / "index.html", ec)) {
      return fs::weakly_canonical(c, ec).string();
    }
  }
  return "";
}

std::vector<std::string> StaticFiles::DefaultCandidates() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path dir = exe.parent_path();
  return {(dir / "ui").string(), (dir / ".." / "share" / "polytrace" / "ui").string(),
          (dir / ".." / ".." / ".." / "ui" / "dist").string()};
}

}  // namespace polytrace::query
