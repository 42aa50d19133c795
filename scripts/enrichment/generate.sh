#!/usr/bin/env bash
# Regenerates host/data/aws-access-levels.tsv, host/data/aws-risks.tsv and host/data/licenses/
# from the pinned PyPI packages (installed by setup.sh into a venv of their own). Needs the
# network the first time; running it again with the same pins changes nothing.
#
#   scripts/enrichment/generate.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="$("$HERE/setup.sh")"
exec "$PYTHON" "$HERE/generate.py"
