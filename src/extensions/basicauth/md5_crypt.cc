#include "extensions/basicauth/md5_crypt.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

namespace polytrace {
namespace {

using Md5Digest = std::array<unsigned char, 16>;

// One MD5 computation through OpenSSL's EVP interface.
class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr);
  }
  Md5& Update(std::string_view data) {
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
    return *this;
  }
  Md5& Update(const Md5Digest& digest, size_t size = 16) {
    EVP_DigestUpdate(ctx_.get(), digest.data(), size);
    return *this;
  }
  Md5Digest Final() {
    Md5Digest digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size);
    return digest;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// crypt(3)'s base-64: its own alphabet, least significant 6 bits first.
void AppendCrypt64(std::string* out, uint32_t value, int characters) {
  static constexpr char kAlphabet[] =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < characters; ++i) {
    out->push_back(kAlphabet[value & 0x3f]);
    value >>= 6;
  }
}

}  // namespace

std::string Md5Crypt(std::string_view password, std::string_view magic, std::string_view salt) {
  salt = salt.substr(0, salt.find('$'));
  salt = salt.substr(0, 8);

  Md5Digest alternate = Md5().Update(password).Update(salt).Update(password).Final();
  Md5 context;
  context.Update(password).Update(magic).Update(salt);
  for (size_t left = password.size(); left > 0; left -= std::min<size_t>(left, 16)) {
    context.Update(alternate, std::min<size_t>(left, 16));
  }
  // The original's quirk: a NUL byte for each set bit of the length, else
  // the password's first character.
  for (size_t bits = password.size(); bits != 0; bits >>= 1) {
    context.Update((bits & 1) ? std::string_view("\0", 1) : password.substr(0, 1));
  }
  Md5Digest digest = context.Final();

  // 1000 rounds to slow down guessing.
  for (int round = 0; round < 1000; ++round) {
    Md5 next;
    if (round & 1) {
      next.Update(password);
    } else {
      next.Update(digest);
    }
    if (round % 3 != 0) next.Update(salt);
    if (round % 7 != 0) next.Update(password);
    if (round & 1) {
      next.Update(digest);
    } else {
      next.Update(password);
    }
    digest = next.Final();
  }

  std::string out;
  out.reserve(magic.size() + salt.size() + 1 + 22);
  out.append(magic).append(salt).push_back('$');
  auto triple = [&](int a, int b, int c) {
    return static_cast<uint32_t>(digest[a]) << 16 | static_cast<uint32_t>(digest[b]) << 8 |
           digest[c];
  };
  AppendCrypt64(&out, triple(0, 6, 12), 4);
  AppendCrypt64(&out, triple(1, 7, 13), 4);
  AppendCrypt64(&out, triple(2, 8, 14), 4);
  AppendCrypt64(&out, triple(3, 9, 15), 4);
  AppendCrypt64(&out, triple(4, 10, 5), 4);
  AppendCrypt64(&out, digest[11], 2);
  return out;
}

}  // namespace polytrace
