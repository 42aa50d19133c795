#!/usr/bin/env bash
# Runs every check and test: formatting, lints, then all tests (which build the guest plugins
# from source first, installing the guest toolchains on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --release -- -D warnings
# Release: the tests compile real components (CPython among them), which an unoptimized
# compiler would make several times slower.
cargo test --workspace --release
