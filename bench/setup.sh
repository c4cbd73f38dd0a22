#!/usr/bin/env bash
# Idempotent: create .bench-venv (if missing) and install the project plus the pinned peer libraries.
# Usage (from anywhere): bash bench/setup.sh ; then .bench-venv/bin/python bench/run.py [--quick]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.bench-venv"
STAMP="$VENV/.installed-$(cat "$ROOT/pyproject.toml" "$ROOT/bench/requirements.txt" | cksum | cut -d' ' -f1)"

if [ -f "$STAMP" ] && "$VENV/bin/python" -c 'import seats, apportionment, apportionpy, biprop' 2>/dev/null; then
    exit 0
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "the bench needs Python >= 3.11")'
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$ROOT" -r "$ROOT/bench/requirements.txt"
rm -f "$VENV"/.installed-*
touch "$STAMP"
