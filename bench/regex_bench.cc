// Regular expressions on hostile values (issue #12): RE2, which every pattern
// on span data and queries now runs on, against std::regex, which it replaced.
//
// The values are the shapes that killed the process: a long run of 'a' (a
// 30,000-character name, a URL of one character repeated) matched with the
// catastrophic patterns. RE2 must be linear: bytes/s stays flat from 64 KiB
// to 1 MiB. std::regex is shown on the small inputs it survives: its time
// doubles per character on `(a+)+b`, and it recurses once per character (it
// overflowed the stack at 30,000). Each run states whether the pattern
// matched, so a fast answer is also a checked one.
#include <benchmark/benchmark.h>

#include <regex>
#include <string>

#include "core/regex.h"

namespace {

struct Case {
  const char* pattern;
  bool full;          // FullMatch (TraceQL =~) or Search (filter IsMatch, regexp match_type)
  const char* value;  // "a": all 'a'; "url": https://example.com/aaa.../health
};

const Case kCases[] = {
    {".*/health.*", false, "url"}, {"https://.*", true, "url"}, {"(a+)+b", false, "a"},
    {"(a|aa)*c", false, "a"},      {"(a*)*$", true, "a"},
};

std::string Value(const Case& c, size_t n) {
  if (std::string(c.value) == "a") return std::string(n, 'a');
  std::string prefix = "https://example.com/", suffix = "/health";
  return prefix + std::string(n - prefix.size() - suffix.size(), 'a') + suffix;
}

void BM_Re2(benchmark::State& state) {
  const Case& c = kCases[state.range(0)];
  std::string value = Value(c, static_cast<size_t>(state.range(1)));
  polytrace::Result<polytrace::Regex> re = polytrace::Regex::Compile(c.pattern);
  bool matched = false;
  for (auto _ : state) {
    matched = c.full ? re->FullMatch(value) : re->Search(value);
    benchmark::DoNotOptimize(matched);
  }
  state.SetLabel(std::string(c.pattern) + (matched ? " matched" : " no match"));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(value.size()));
}
BENCHMARK(BM_Re2)->ArgsProduct({{0, 1, 2, 3, 4}, {64 << 10, 256 << 10, 1 << 20}});

void BM_StdRegex(benchmark::State& state) {
  const Case& c = kCases[state.range(0)];
  std::string value = Value(c, static_cast<size_t>(state.range(1)));
  std::regex re(c.pattern, std::regex::ECMAScript);
  bool matched = false;
  for (auto _ : state) {
    matched = c.full ? std::regex_match(value, re) : std::regex_search(value, re);
    benchmark::DoNotOptimize(matched);
  }
  state.SetLabel(std::string(c.pattern) + (matched ? " matched" : " no match"));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(value.size()));
}
// Sizes it survives: linear patterns up to 4 KiB; `(a+)+b` doubles per byte.
BENCHMARK(BM_StdRegex)->ArgsProduct({{0, 1}, {1 << 10, 4 << 10}});
BENCHMARK(BM_StdRegex)->ArgsProduct({{2}, {16, 18, 20, 22}});

}  // namespace

BENCHMARK_MAIN();
