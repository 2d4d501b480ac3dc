#include "extensions/basicauth/htpasswd.h"

#include <gtest/gtest.h>

#include "extensions/basicauth/md5_crypt.h"

namespace polytrace {
namespace {

// Test vectors made by other implementations: `openssl passwd -apr1 / -1 /
// -5 / -6 -salt ...`, Python's hashlib for {SHA} / {SSHA}, Python's crypt
// for bcrypt, and PHP's documented password_hash example for $2y$.
constexpr char kApr1Secret[] = "$apr1$Xy1.z/AB$tYS.VH7hd2m1/tgUGvpt.0";
constexpr char kApr1Long[] = "$apr1$Xy1.z/AB$JrCDzOK7wWRl3igBUdBBA/";  // 40 characters
constexpr char kApr1Empty[] = "$apr1$Xy1.z/AB$gW.p54WUYmG/F7hoXE83L1";
constexpr char kApr1ShortSalt[] = "$apr1$abc$PZF73YJz5hJ9yyI.7OP.R.";
constexpr char kMd5Secret[] = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//";
constexpr char kMd5Utf8[] = "$1$a/b.C9$qVdX45kCRKRZ74KUpG7m30";  // "pässwörd"
constexpr char kBcrypt2b[] = "$2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW";
constexpr char kBcrypt2a[] = "$2a$04$ABCDEFGHIJKLMNOPQRSTUux/yVoHLb2P5.QxxfIdIyVUJvRQqUe5S";
constexpr char kBcrypt2y[] = "$2y$04$0123456789abcdefghijkug0jfygDNbCc4YKM81lye0HjT.L3552O";
constexpr char kBcryptPhp[] = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";
constexpr char kSha256Crypt[] = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";
constexpr char kSha512Crypt[] =
    "$6$rounds=5000$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y7"
    "7vwPZN.Pq.H91p5hVO1";
constexpr char kSha[] = "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=";
constexpr char kSsha[] = "{SSHA}8CFu8KInxAPJMIzvWurSzFrEMdUBAnNhbHQ=";

TEST(Md5CryptTest, MatchesOpenSsl) {
  EXPECT_EQ(Md5Crypt("secret", "$apr1$", "Xy1.z/AB"), kApr1Secret);
  EXPECT_EQ(Md5Crypt("a much longer password, 40 characters!!", "$apr1$", "Xy1.z/AB"), kApr1Long);
  EXPECT_EQ(Md5Crypt("", "$apr1$", "Xy1.z/AB"), kApr1Empty);
  EXPECT_EQ(Md5Crypt("secret", "$apr1$", "abc"), kApr1ShortSalt);
  EXPECT_EQ(Md5Crypt("secret", "$1$", "saltsalt"), kMd5Secret);
  EXPECT_EQ(Md5Crypt("p\xC3\xA4ssw\xC3\xB6rd", "$1$", "a/b.C9"), kMd5Utf8);
}

TEST(Md5CryptTest, UsesAtMostEightCharactersOfSalt) {
  EXPECT_EQ(Md5Crypt("secret", "$apr1$", "Xy1.z/ABcdef"), kApr1Secret);
  EXPECT_EQ(Md5Crypt("secret", "$apr1$", "Xy1.z/AB$tYS"), kApr1Secret);
}

struct Vector {
  const char* encoded;
  const char* password;
  PasswordHash::Kind kind;
};

TEST(PasswordHashTest, EachFormatMatchesItsPasswordOnly) {
  using Kind = PasswordHash::Kind;
  const Vector vectors[] = {
      {kApr1Secret, "secret", Kind::kMd5Crypt},
      {kApr1Long, "a much longer password, 40 characters!!", Kind::kMd5Crypt},
      {kApr1ShortSalt, "secret", Kind::kMd5Crypt},
      {kMd5Secret, "secret", Kind::kMd5Crypt},
      {kMd5Utf8, "p\xC3\xA4ssw\xC3\xB6rd", Kind::kMd5Crypt},
      {kBcrypt2b, "secret", Kind::kBcrypt},
      {kBcrypt2a, "secret", Kind::kBcrypt},
      {kBcrypt2y, "secret", Kind::kBcrypt},
      {kBcryptPhp, "rasmuslerdorf", Kind::kBcrypt},
      {kSha256Crypt, "secret", Kind::kShaCrypt},
      {kSha512Crypt, "secret", Kind::kShaCrypt},
      {kSha, "secret", Kind::kSha1},
      {kSsha, "secret", Kind::kSaltedSha1},
      {"secret", "secret", Kind::kPlain},
      {"{PLAIN}$ecret$", "$ecret$", Kind::kPlain},
  };
  for (const Vector& v : vectors) {
    Result<PasswordHash> hash = PasswordHash::Parse(v.encoded);
    ASSERT_TRUE(hash.ok()) << v.encoded << ": " << hash.status().message();
    EXPECT_EQ(hash->kind(), v.kind) << v.encoded;
    EXPECT_TRUE(hash->Matches(v.password)) << v.encoded;
    std::string wrong = std::string(v.password) + "x";
    EXPECT_FALSE(hash->Matches(wrong)) << v.encoded;
    EXPECT_FALSE(hash->Matches("")) << v.encoded;
    if (v.kind != Kind::kPlain) {
      EXPECT_FALSE(hash->Matches(v.encoded)) << v.encoded;
    }
  }
}

TEST(PasswordHashTest, OnlyBcryptAndShaCryptAreSlow) {
  EXPECT_TRUE(PasswordHash::Parse(kBcrypt2y)->slow());
  EXPECT_TRUE(PasswordHash::Parse(kSha512Crypt)->slow());
  EXPECT_FALSE(PasswordHash::Parse(kApr1Secret)->slow());
  EXPECT_FALSE(PasswordHash::Parse("plain")->slow());
}

TEST(PasswordHashTest, RefusesAPasswordWithANulByteForCryptSchemes) {
  Result<PasswordHash> hash = PasswordHash::Parse(kBcrypt2b);
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(hash->Matches(std::string("secret\0tail", 11)));
}

TEST(PasswordHashTest, RefusesMalformedHashesWithoutEchoingThem) {
  const char* malformed[] = {
      "$apr1$Xy1.z/AB",                                                // no hash
      "$apr1$$tYS.VH7hd2m1/tgUGvpt.0",                                 // no salt
      "$apr1$Xy1.z/AB$tYS.VH7hd2m1/tgUGvpt",                           // short hash
      "$1$saltsalt$9xy1btjgzLYfb7hivXtC/!",                            // bad character
      "$2y$04$0123456789abcdefghijkug0jfygDNbCc",                      // short
      "$2y$03$0123456789abcdefghijkug0jfygDNbCc4YKM81lye0HjT.L3552O",  // cost < 4
      "$2y$4$00123456789abcdefghijkug0jfygDNbCc4YKM81lye0HjT.L3552O",  // one-digit cost
      "$5$saltsalt$0IyaXrmV7",
      "$6$saltsalt",
      "{SHA}not base64!",
      "{SHA}c2hvcnQ=",                       // 5 bytes
      "{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",  // a digest and no salt
      "{PLAIN}",
      "",
  };
  for (const char* encoded : malformed) {
    Result<PasswordHash> hash = PasswordHash::Parse(encoded);
    ASSERT_FALSE(hash.ok()) << encoded;
    if (encoded[0] != '\0') {
      EXPECT_EQ(hash.status().message().find(encoded), std::string::npos) << encoded;
    }
  }
}

TEST(PasswordHashTest, RefusesUnknownSchemesInsteadOfTakingThemAsPlainText) {
  for (const char* encoded : {"$y$j9T$abcdefgh$ijklmnop", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA",
                              "{SSHA512}abcd", "{CRYPT}abcd", "$2x$04$abc"}) {
    Result<PasswordHash> hash = PasswordHash::Parse(encoded);
    ASSERT_FALSE(hash.ok()) << encoded;
    EXPECT_NE(hash.status().message().find("unsupported password hash format"), std::string::npos);
  }
  // Not the shape of a scheme: plain text.
  for (const char* encoded : {"$100", "{curly", "p$a$s"}) {
    Result<PasswordHash> hash = PasswordHash::Parse(encoded);
    ASSERT_TRUE(hash.ok()) << encoded;
    EXPECT_TRUE(hash->Matches(encoded));
  }
}

TEST(HtpasswdTest, ReadsUsersSkipsBlankAndCommentLinesAndLaterLinesWin) {
  Htpasswd htpasswd;
  std::string content = std::string("# users\n\nalice:") + kApr1Secret + "\r\n  bob:" + kBcrypt2y +
                        "  \ncarol:first\n";
  ASSERT_TRUE(htpasswd.Add(content, "file").ok());
  ASSERT_TRUE(htpasswd.Add("carol:second\ndave:pass:with:colons", "inline").ok());
  EXPECT_EQ(htpasswd.size(), 4u);
  EXPECT_TRUE(htpasswd.Find("alice")->Matches("secret"));
  EXPECT_TRUE(htpasswd.Find("bob")->Matches("secret"));
  EXPECT_FALSE(htpasswd.Find("carol")->Matches("first"));
  EXPECT_TRUE(htpasswd.Find("carol")->Matches("second"));
  EXPECT_TRUE(htpasswd.Find("dave")->Matches("pass:with:colons"));
  EXPECT_EQ(htpasswd.Find("eve"), nullptr);
}

TEST(HtpasswdTest, ErrorsNameTheSourceLineAndUserButNotThePassword) {
  Htpasswd htpasswd;
  Status st = htpasswd.Add("alice:secret\n\nbob:$y$j9T$hidden$value\n", "htpasswd.inline");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("htpasswd.inline line 3: user \"bob\": unsupported password hash "
                               "format",
                               0),
            0u)
      << st.message();
  EXPECT_EQ(st.message().find("hidden"), std::string::npos);

  EXPECT_EQ(Htpasswd().Add("alice:secret\nno-colon-here\n", "f").message(),
            "f line 2: malformed line, no colon");
  EXPECT_EQ(Htpasswd().Add(":secret\n", "f").message(), "f line 1: empty user name");
  // An unset ${env:BASIC_AUTH_PASSWORD} must not become an empty password.
  EXPECT_EQ(Htpasswd().Add("alice:\n", "f").message(), "f line 1: user \"alice\": empty password");
  EXPECT_EQ(Htpasswd().Add("alice:{SHA}short\n", "f").message(),
            "f line 1: user \"alice\": malformed {SHA} hash");
}

}  // namespace
}  // namespace polytrace
