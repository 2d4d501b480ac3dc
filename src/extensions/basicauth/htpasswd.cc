#include "extensions/basicauth/htpasswd.h"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>

#include "core/base64.h"
#include "extensions/basicauth/md5_crypt.h"
#include "extensions/internal/reloading_file.h"

namespace polytrace {
namespace {

constexpr size_t kSha1Size = 20;

bool IsCrypt64(std::string_view text) {
  for (char c : text) {
    bool ok = c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z');
    if (!ok) return false;
  }
  return true;
}

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string Digest(const EVP_MD* md, std::string_view a, std::string_view b = {}) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// Constant time for equal lengths; the lengths compared are those of
// digests and of hashes of a fixed format, never of a password.
bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// bcrypt and SHA-crypt through libxcrypt. crypt(3) reads a C string, so a
// password with a NUL byte (possible in Basic auth) could only match a
// prefix of itself: refused.
bool CryptMatches(std::string_view password, const std::string& encoded) {
  if (password.find('\0') != std::string_view::npos) return false;
  std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // value-initialized, as crypt_rn requires
  const char* out = crypt_rn(phrase.c_str(), encoded.c_str(), data.get(), sizeof(crypt_data));
  bool matched = out != nullptr && SameBytes(out, encoded);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return matched;
}

// "$id$..." or "{NAME}...": the shape of a hash scheme, which must not fall
// through to plain text (the hash itself would become the password).
bool LooksLikeAScheme(std::string_view encoded) {
  auto id_ends = [&](char open, char close) {
    if (encoded.size() < 3 || encoded[0] != open) return false;
    size_t end = encoded.find(close, 1);
    if (end == std::string_view::npos || end == 1 || end > 24) return false;
    for (char c : encoded.substr(1, end - 1)) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                c == '-' || c == '_' || c == '.' || c == ',' || c == '=';
      if (!ok) return false;
    }
    return true;
  };
  return id_ends('$', '$') || id_ends('{', '}');
}

bool ValidBcrypt(std::string_view e) {
  // $2b$NN$ + 22 characters of salt + 31 of hash.
  if (e.size() != 60 || e[6] != '$' || !IsDigits(e.substr(4, 2))) return false;
  int cost = (e[4] - '0') * 10 + (e[5] - '0');
  return cost >= 4 && cost <= 31 && IsCrypt64(e.substr(7));
}

bool ValidShaCrypt(std::string_view e) {
  size_t hash_size = e[1] == '5' ? 43 : 86;
  std::string_view rest = e.substr(3);
  if (rest.starts_with("rounds=")) {
    size_t end = rest.find('$');
    if (end == std::string_view::npos || !IsDigits(rest.substr(7, end - 7))) return false;
    rest.remove_prefix(end + 1);
  }
  size_t end = rest.find('$');
  if (end == std::string_view::npos || end > 16) return false;
  std::string_view hash = rest.substr(end + 1);
  return hash.size() == hash_size && IsCrypt64(hash);
}

}  // namespace

Result<PasswordHash> PasswordHash::Parse(std::string_view encoded) {
  PasswordHash hash;
  if (encoded.starts_with("$apr1$") || encoded.starts_with("$1$")) {
    hash.kind_ = Kind::kMd5Crypt;
    hash.magic_ = encoded.starts_with("$1$") ? "$1$" : "$apr1$";
    std::string_view rest = encoded.substr(hash.magic_.size());
    size_t end = rest.find('$');
    if (end == std::string_view::npos || end == 0 || end > 8 || rest.size() - end - 1 != 22 ||
        !IsCrypt64(rest.substr(end + 1))) {
      return Status::InvalidArgument(fmt::format("malformed {} hash", hash.magic_));
    }
    hash.salt_ = std::string(rest.substr(0, end));
    hash.expected_ = std::string(encoded);
    return hash;
  }
  if (encoded.starts_with("$2a$") || encoded.starts_with("$2b$") || encoded.starts_with("$2y$")) {
    if (!ValidBcrypt(encoded)) return Status::InvalidArgument("malformed bcrypt hash");
    hash.kind_ = Kind::kBcrypt;
    hash.expected_ = std::string(encoded);
    return hash;
  }
  if (encoded.starts_with("$5$") || encoded.starts_with("$6$")) {
    if (!ValidShaCrypt(encoded)) {
      return Status::InvalidArgument(fmt::format("malformed {} hash", encoded.substr(0, 3)));
    }
    hash.kind_ = Kind::kShaCrypt;
    hash.expected_ = std::string(encoded);
    return hash;
  }
  if (encoded.starts_with("{SHA}") || encoded.starts_with("{SSHA}")) {
    bool salted = encoded[2] == 'S';
    std::optional<std::string> decoded = Base64Decode(encoded.substr(salted ? 6 : 5));
    if (!decoded || decoded->size() < kSha1Size || (!salted && decoded->size() != kSha1Size) ||
        (salted && decoded->size() == kSha1Size)) {
      return Status::InvalidArgument(salted ? "malformed {SSHA} hash" : "malformed {SHA} hash");
    }
    hash.kind_ = salted ? Kind::kSaltedSha1 : Kind::kSha1;
    hash.expected_ = decoded->substr(0, kSha1Size);
    hash.salt_ = decoded->substr(kSha1Size);
    return hash;
  }
  if (encoded.starts_with("{PLAIN}")) {
    encoded.remove_prefix(7);
  } else if (LooksLikeAScheme(encoded)) {
    return Status::InvalidArgument(
        "unsupported password hash format (supported: bcrypt, $apr1$, $1$, $5$, $6$, {SHA}, "
        "{SSHA}, plain text; write {PLAIN} before a plain-text password that starts with '$' or "
        "'{')");
  }
  if (encoded.empty()) return Status::InvalidArgument("empty password");
  hash.kind_ = Kind::kPlain;
  hash.expected_ = Digest(EVP_sha256(), encoded);
  return hash;
}

bool PasswordHash::Matches(std::string_view password) const {
  switch (kind_) {
    case Kind::kPlain: return SameBytes(Digest(EVP_sha256(), password), expected_);
    case Kind::kSha1: return SameBytes(Digest(EVP_sha1(), password), expected_);
    case Kind::kSaltedSha1: return SameBytes(Digest(EVP_sha1(), password, salt_), expected_);
    case Kind::kMd5Crypt: return SameBytes(Md5Crypt(password, magic_, salt_), expected_);
    case Kind::kBcrypt:
    case Kind::kShaCrypt: return CryptMatches(password, expected_);
  }
  return false;
}

Status Htpasswd::Add(std::string_view content, const std::string& source) {
  size_t line_number = 0;
  size_t begin = 0;
  while (begin <= content.size()) {
    size_t end = content.find('\n', begin);
    if (end == std::string_view::npos) end = content.size();
    std::string line = TrimAsciiSpace(content.substr(begin, end - begin));
    begin = end + 1;
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument(
          fmt::format("{} line {}: malformed line, no colon", source, line_number));
    }
    std::string user = line.substr(0, colon);
    if (user.empty()) {
      return Status::InvalidArgument(
          fmt::format("{} line {}: empty user name", source, line_number));
    }
    Result<PasswordHash> hash = PasswordHash::Parse(std::string_view(line).substr(colon + 1));
    OPENSSL_cleanse(line.data(), line.size());
    if (!hash.ok()) {
      return Status::InvalidArgument(fmt::format("{} line {}: user \"{}\": {}", source, line_number,
                                                 user, hash.status().message()));
    }
    entries_.insert_or_assign(std::move(user), std::move(hash.value()));
  }
  return Status::Ok();
}

const PasswordHash* Htpasswd::Find(std::string_view user) const {
  auto it = entries_.find(user);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace polytrace
