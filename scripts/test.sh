#!/usr/bin/env bash
# One command: every test. Unit tests (release, ASan+UBSan and, for the
# concurrency-heavy ones, TSan builds), format check, every fuzzer for a
# bounded time, and the interoperability tests with the official SDKs.
# Prints how long each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
declare -a timings=()

stage() {
  local name="$1"
  shift
  echo "==> ${name}"
  local start=$SECONDS
  "$@"
  timings+=("$(printf '%-28s %4ds' "$name" $((SECONDS - start)))")
}

format_check() {
  git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
}

unit_tests() {
  local preset="$1"
  scripts/build.sh "$preset"
  ctest --test-dir "build/$preset" --output-on-failure -j2 --timeout 300
}

interop_tests() {
  scripts/install-test-deps.sh
  POLYTRACE_BIN="$root/build/release/src/polytrace" .venv/bin/python -m pytest tests -q \
    --ignore=tests/demo --ignore=tests/ui --durations=10
}

# The web UI: its data logic (Vitest), then real Chromium against a polytrace
# fed by the demo (tests/ui drives ui/tests/e2e.mjs and the big-trace check).
ui_tests() {
  scripts/build-ui.sh
  npm --prefix ui test --silent
  POLYTRACE_BIN="$root/build/release/src/polytrace" .venv/bin/python -m pytest tests/ui -q \
    --durations=10
}

# The seed's five services (Go, Node.js, Python, Java) with PostgreSQL and
# Kafka, feeding polytrace: checkouts verified end to end, faults diagnosed.
demo_tests() {
  demo/scripts/install.sh
  POLYTRACE_BIN="$root/build/release/src/polytrace" .venv/bin/python -m pytest tests/demo -q \
    --durations=10
}

# The same real traffic through the sanitized binary: memory errors abort it.
interop_tests_asan() {
  POLYTRACE_BIN="$root/build/asan/src/polytrace" .venv/bin/python -m pytest -q \
    tests/interop/test_sdk_roundtrip.py tests/interop/test_bad_input.py \
    tests/interop/test_cli_and_restart.py tests/interop/test_store_roundtrip.py \
    tests/interop/test_hostile_requests.py tests/interop/test_tls_auth.py \
    tests/interop/test_grpc_server.py tests/interop/test_big_trace.py
  POLYTRACE_BIN="$root/build/asan/src/polytrace" POLYTRACE_CRASH_KILLS=5 .venv/bin/python -m pytest -q \
    tests/interop/test_store_crash.py
}

# The concurrency-heavy tests under ThreadSanitizer: store, batch, queue,
# HTTP(S) server, memory limiter and admission, exporters, certificate and
# credential reloading, the query API's turns for searches.
tsan_tests() {
  local tests=(core/core_test store/store_test net/net_test processors/batch/processor_batch_test
    exporters/exporterhelper/exporterhelper_test
    processors/memory_limiter/processor_memory_limiter_test exporters/otlphttp/exporter_otlphttp_test
    tls/tls_test extensions/internal/extensions_internal_test
    extensions/bearertokenauth/extension_bearertokenauth_test
    extensions/basicauth/extension_basicauth_test query/query_heavy_turns_test)
  scripts/build.sh tsan "${tests[@]##*/}"
  for t in "${tests[@]}"; do
    # Without ASLR: GCC 12's TSan cannot always place its shadow memory otherwise.
    setarch "$(uname -m)" -R "build/tsan/src/$t" --gtest_brief=1
  done
}

# Every libFuzzer target from its seeds and committed crash cases, bounded.
fuzz_tests() {
  FUZZ_SECONDS="${FUZZ_SECONDS:-30}" scripts/fuzz.sh
}

stage "install build deps" scripts/install-deps.sh
stage "format check" format_check
stage "unit tests (release)" unit_tests release
stage "unit tests (asan+ubsan)" unit_tests asan
stage "unit tests (tsan)" tsan_tests
stage "fuzzing (libFuzzer, asan+ubsan)" fuzz_tests
stage "interop tests (real SDKs)" interop_tests
stage "interop tests (asan binary)" interop_tests_asan
stage "demo end to end" demo_tests
stage "web UI (unit + Chromium)" ui_tests

echo "==> stage timings"
printf '  %s\n' "${timings[@]}"
