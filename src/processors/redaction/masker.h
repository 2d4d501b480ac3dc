// Masker: what the redaction processor writes in place of a masked text,
// the Collector's `hash_function`. By default the fixed "****", which hides
// even whether two values were equal; with a hash function the lowercase hex
// digest of the text, so equal secrets stay correlatable across spans. The
// HMAC variants need a secret `hmac_key`: an unkeyed hash of a low-entropy
// value (an IPv4 address) can be reversed by hashing every candidate.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace polytrace {

enum class HashFunction { kNone, kMd5, kSha1, kSha3, kHmacSha256, kHmacSha512 };

// The Collector's names, any case: "" or "none", md5, sha1, sha3 (SHA3-256),
// hmac-sha256, hmac-sha512.
Result<HashFunction> ParseHashFunction(std::string_view name);
bool IsHmac(HashFunction function);

class Masker {
 public:
  static constexpr std::string_view kMask = "****";

  Masker() = default;
  Masker(HashFunction function, std::string hmac_key)
      : function_(function), hmac_key_(std::move(hmac_key)) {}

  std::string Mask(std::string_view text) const;

 private:
  HashFunction function_ = HashFunction::kNone;
  std::string hmac_key_;
};

}  // namespace polytrace
