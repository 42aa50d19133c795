# Sourced by the project's scripts: shared environment.
# Keep build output outside the clone when asked to (CI caches it under $HOME/.cache).
if [ -n "${CI:-}" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="$HOME/.cache/trailhound/target"
fi
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
