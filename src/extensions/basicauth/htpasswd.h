// Htpasswd: the users and password hashes of Apache-style htpasswd content,
// the credential store of the `basicauth` server side.
//
// A line is `user:hash`; blank lines and lines starting with '#' are
// skipped, and a later line for a user replaces an earlier one (so inline
// content read after the file overrides it, as in the Collector). Hashes:
// bcrypt ($2a$, $2b$, $2y$), MD5-crypt ($apr1$, $1$), SHA-crypt ($5$, $6$),
// {SHA}, {SSHA}, {PLAIN}, and otherwise plain text. Anything that looks like
// another scheme ($id$..., {NAME}...) is refused rather than taken as a
// plain-text password. Errors name the line and the user, never the hash.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace polytrace {

class PasswordHash {
 public:
  enum class Kind { kPlain, kSha1, kSaltedSha1, kMd5Crypt, kBcrypt, kShaCrypt };

  // Recognizes the scheme of `encoded`; an error if it is malformed or a
  // scheme not supported. The message never contains `encoded`.
  static Result<PasswordHash> Parse(std::string_view encoded);

  // Whether `password` hashes to this. Comparisons are in constant time;
  // bcrypt and SHA-crypt cost what their parameters say.
  bool Matches(std::string_view password) const;

  Kind kind() const { return kind_; }
  // Deliberately slow to check (bcrypt, SHA-crypt): worth caching a success.
  bool slow() const { return kind_ == Kind::kBcrypt || kind_ == Kind::kShaCrypt; }

 private:
  Kind kind_ = Kind::kPlain;
  // Plain: the SHA-256 of the password (compared digest to digest, so the
  // length does not leak); {SHA}/{SSHA}: the SHA-1 digest; crypt schemes:
  // the whole encoded hash.
  std::string expected_;
  std::string salt_;   // {SSHA}, MD5-crypt
  std::string magic_;  // MD5-crypt: "$1$" or "$apr1$"
};

class Htpasswd {
 public:
  // Adds the lines of `content`. `source` starts each error, e.g.
  // `htpasswd.inline line 3: unsupported password hash format for user "bob"`.
  Status Add(std::string_view content, const std::string& source);

  // The hash for `user`, or nullptr.
  const PasswordHash* Find(std::string_view user) const;
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, PasswordHash, std::less<>> entries_;
};

}  // namespace polytrace
