#!/usr/bin/env bash
# Builds the host and the bundled plugins (installing the guest toolchains on first use), then
# scans the bundled example data and prints the findings that tell its two stories.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
cargo build --release -p trailhound
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/trailhound"
"$bin" plugin build
plugins="$target_dir/plugins"
"$bin" scan examples/data \
  --plugin "$plugins/actor-trail.wasm" \
  --plugin "$plugins/s3-exposure.wasm" \
  --plugin "$plugins/iam-risk-signals.wasm" \
  --plugin "$plugins/minimal-detector.wasm" \
  --plugin "$plugins/python-detector.wasm" \
  "$@"
