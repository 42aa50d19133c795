#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets (fuzz/, cargo-fuzz with libFuzzer) for a given time
# each, and turns every finding into a regression input.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 60 seconds, every target
#
# Targets: decode (framing and decoding, and normalization of what it frames), normalize,
# config, plugin_cases. Each starts from its saved inputs in tests/data/fuzz/<target>/
# (plus the config tests' files for `config`) and grows a working corpus in
# fuzz/corpus/<target>/ (not committed). A crash or a hang (over 10 s on one input) is
# copied into tests/data/fuzz/<target>/, where `cargo test` replays it from then on, and
# makes this script exit 1.
#
# The first build instruments every dependency (wasmtime among them) and takes a while.
# cargo-fuzz needs unstable compiler flags: on a stable toolchain they are unlocked with
# RUSTC_BOOTSTRAP=1. No sanitizer (-s none): the code under test is safe Rust, so
# AddressSanitizer would add no checks there, only a slower build and half the executions;
# panics, overflows (debug assertions are on) and hangs are what is looked for.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(decode normalize config plugin_cases)
fi

export RUSTC_BOOTSTRAP=1
# The instrumented build is kept apart from the normal one.
export CARGO_TARGET_DIR="$PWD/fuzz/target"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

flags=(-s none --fuzz-dir fuzz)
found=0
summary=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  saved="tests/data/fuzz/$target"
  mkdir -p "$corpus" "$saved" "fuzz/artifacts/$target"
  seeds=("$saved")
  if [ "$target" = config ]; then
    seeds+=(tests/data/config)
  fi
  log="fuzz/artifacts/$target/run.log"
  echo "== $target: ${seconds}s"
  status=0
  cargo fuzz run "${flags[@]}" "$target" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  runs="${runs:-$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')}"
  new=()
  for artifact in "fuzz/artifacts/$target"/{crash,timeout,oom,leak,slow-unit}-*; do
    [ -e "$artifact" ] || continue
    name="$(basename "$artifact")"
    if [ ! -e "$saved/$name" ]; then
      cp "$artifact" "$saved/$name"
      new+=("$saved/$name")
    fi
  done
  if [ "$status" -ne 0 ] || [ "${#new[@]}" -gt 0 ]; then
    found=1
    grep -m 5 -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" || tail -n 20 "$log"
    for file in "${new[@]}"; do echo "saved $file"; done
    summary+=("$target: ${runs:-?} executions, FINDING (exit $status; log $log)")
  else
    summary+=("$target: ${runs:-?} executions, nothing found")
  fi
done
printf '%s\n' "${summary[@]}"
exit "$found"
