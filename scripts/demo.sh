#!/usr/bin/env bash
# Builds the host (installing the guest toolchains on first use), then scans the bundled example
# data with the bundled pack (its plugins built on first use) and prints the findings that tell
# its stories, then the events read per provider and per source, and draws the storylines and
# composite alerts into target/stories.html.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
# The whole workspace, as the tests build it: one set of artifacts (a single package would
# resolve other features of its dependencies and build them all again).
cargo build --release --workspace --bins
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/trailhound"
# No --plugin: the bundled pack runs (built on first use, from the component cache after). The
# storylines and composite alerts are also drawn into one page, to open in a browser.
"$bin" scan examples/data --story "$target_dir/stories.html" "$@"
