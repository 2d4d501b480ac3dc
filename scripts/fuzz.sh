#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each one.
#   scripts/fuzz.sh                  every target, FUZZ_SECONDS each (default 60)
#   scripts/fuzz.sh traceql_fuzz     one target
#   FUZZ_SECONDS=3600 scripts/fuzz.sh otlp_proto_fuzz   for an hour (or -max_total_time=0: forever)
# Each target starts from its committed seeds (fuzz/corpus/<target>, run
# first as regression cases) and grows a scratch corpus under
# ~/.cache/polytrace/fuzz/<target>, kept between runs. A crash fails the
# script and leaves its input in build/fuzz/crashes/: commit it to
# fuzz/corpus/<target>/ with the fix, so it stays a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
all=(otlp_proto_fuzz otlp_json_fuzz traceql_fuzz ottl_fuzz http_request_fuzz query_api_fuzz
  config_fuzz segment_fuzz wal_fuzz auth_fuzz http2_session_fuzz)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

if ! command -v clang++-14 >/dev/null || [ ! -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    clang-14 libclang-rt-14-dev >/dev/null
fi
scripts/build.sh fuzz "${targets[@]}"

crashes="build/fuzz/crashes"
mkdir -p "$crashes"
# One fuzzer per core at a time (each is single-threaded): the same inputs
# per target in half the time on this 2-core machine.
parallel="${FUZZ_JOBS:-$(nproc)}"
fuzz_one() {
  local t="$1" scratch="${POLYTRACE_CACHE:-$HOME/.cache/polytrace}/fuzz/$1" start=$SECONDS
  mkdir -p "$scratch" "fuzz/corpus/$t"
  if ! "build/fuzz/fuzz/$t" "$scratch" "fuzz/corpus/$t" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashes/$t-" >"build/fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED after $((SECONDS - start))s; input in $crashes, log build/fuzz/$t.log:"
    grep -m 20 -E "ERROR|SUMMARY|panic|Test unit written|==[0-9]+==" "build/fuzz/$t.log" || tail -20 "build/fuzz/$t.log"
    return 1
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/$t.log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $t ok ($runs inputs in $((SECONDS - start))s)"
}
declare -A running=()
failed=()
reap() {  # waits for one fuzzer to end
  local pid
  wait -n -p pid "${!running[@]}" || failed+=("${running[$pid]}")
  unset "running[$pid]"
}
for t in "${targets[@]}"; do
  while ((${#running[@]} >= parallel)); do reap; done
  fuzz_one "$t" &
  running[$!]="$t"
done
while ((${#running[@]})); do reap; done
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
