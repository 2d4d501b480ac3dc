#include "processors/redaction/masker.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace polytrace {
namespace {

std::string Hex(const unsigned char* bytes, unsigned int size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xf];
  }
  return out;
}

const EVP_MD* Digest(HashFunction function) {
  switch (function) {
    case HashFunction::kMd5: return EVP_md5();
    case HashFunction::kSha1: return EVP_sha1();
    case HashFunction::kSha3: return EVP_sha3_256();
    case HashFunction::kHmacSha256: return EVP_sha256();
    case HashFunction::kHmacSha512: return EVP_sha512();
    case HashFunction::kNone: return nullptr;
  }
  return nullptr;
}

}  // namespace

Result<HashFunction> ParseHashFunction(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "none") return HashFunction::kNone;
  if (lower == "md5") return HashFunction::kMd5;
  if (lower == "sha1") return HashFunction::kSha1;
  if (lower == "sha3") return HashFunction::kSha3;
  if (lower == "hmac-sha256") return HashFunction::kHmacSha256;
  if (lower == "hmac-sha512") return HashFunction::kHmacSha512;
  return Status::InvalidArgument(fmt::format(
      "unknown hash function \"{}\" (none, md5, sha1, sha3, hmac-sha256, hmac-sha512)", name));
}

bool IsHmac(HashFunction function) {
  return function == HashFunction::kHmacSha256 || function == HashFunction::kHmacSha512;
}

std::string Masker::Mask(std::string_view text) const {
  const EVP_MD* md = Digest(function_);
  if (md == nullptr) return std::string(kMask);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  bool hashed = IsHmac(function_) ? HMAC(md, hmac_key_.data(), static_cast<int>(hmac_key_.size()),
                                         data, text.size(), digest, &size) != nullptr
                                  : EVP_Digest(data, text.size(), digest, &size, md, nullptr) == 1;
  // A digest OpenSSL refuses (MD5 under a FIPS provider) still hides the text.
  if (!hashed || size == 0) return std::string(kMask);
  return Hex(digest, size);
}

}  // namespace polytrace
