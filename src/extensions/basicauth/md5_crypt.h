// MD5-crypt: Poul-Henning Kamp's MD5-based password hash, as FreeBSD and
// glibc write it with the magic "$1$" and Apache's htpasswd -m with "$apr1$"
// (the same algorithm; only the magic differs).
#pragma once

#include <string>
#include <string_view>

namespace polytrace {

// The full hash, "<magic><salt>$<22 characters>", of `password` with the
// first 8 characters of `salt` (up to any '$'). `magic` is "$1$" or "$apr1$".
std::string Md5Crypt(std::string_view password, std::string_view magic, std::string_view salt);

}  // namespace polytrace
