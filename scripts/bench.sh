#!/usr/bin/env bash
# Runs the benchmark harness: generates seeded synthetic CloudTrail, measures every stage, the
# plugins natively and as WASM, and the native Sigma peer, prints one table and rewrites
# BENCHMARKS.md from it. Extra arguments go to trailhound-bench (see --help), e.g. --quick.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
cargo build --release --workspace --bins
target_dir="${CARGO_TARGET_DIR:-target}"
"$target_dir/release/trailhound-bench" --write BENCHMARKS.md "$@"
