#!/usr/bin/env bash
# Builds the host and the bundled plugins (installing the guest toolchains on first use), then
# scans the bundled example data and prints the findings that tell its stories, then the events
# read per provider and per source.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
# The whole workspace, as the tests build it: one set of artifacts (a single package would
# resolve other features of its dependencies and build them all again).
cargo build --release --workspace --bins
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/trailhound"
"$bin" plugin build
plugins="$target_dir/plugins"
"$bin" scan examples/data \
  --plugin "$plugins/actor-trail.wasm" \
  --plugin "$plugins/s3-exposure.wasm" \
  --plugin "$plugins/iam-risk.wasm" \
  --plugin "$plugins/minimal-detector.wasm" \
  --plugin "$plugins/python-detector.wasm" \
  "$@"
