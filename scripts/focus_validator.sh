#!/usr/bin/env bash
# Runs the FinOps Foundation's focus-validator on FOCUS files (Parquet or CSV), e.g. the output of
# `python -m analysis export --focus OUT_DIR`:
#   scripts/focus_validator.sh FILE_OR_FOLDER... [-- FOCUS_VERSION]   (default 1.2)
# A folder stands for its *.parquet and *.csv files. Not part of `make test`.
# The validator needs Python 3.12: the first run builds a virtualenv in .focus-validator/venv (git-ignored;
# FV_VENV overrides) from pyenv's 3.12 or a python3.12 on PATH, with the pinned versions below.
# Known quirks handled: its numpy pin needs pyarrow<20, and it opens rules/currency_codes.csv relative to
# the working directory. For each file it prints "FILE: Total: N | Pass: N | Fail: N | Skipped: N" and the
# failing rules; the exit code is 1 when any rule failed.
set -eu
FV_VERSION=2.2.1
PYARROW_VERSION=19.0.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
V=${FV_VENV:-$ROOT/.focus-validator/venv}
FOCUS_VERSION=1.2
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; FOCUS_VERSION=${1:-1.2}; break ;;
    *) if [ -d "$1" ]; then
         for f in "$1"/*.parquet "$1"/*.csv; do [ -e "$f" ] && files+=("$(readlink -f "$f")"); done
       elif [ -e "$1" ]; then files+=("$(readlink -f "$1")")
       else echo "focus_validator.sh: no such file or folder: $1" >&2; exit 2; fi ;;
  esac
  shift
done
[ ${#files[@]} -gt 0 ] || { echo "usage: scripts/focus_validator.sh FILE_OR_FOLDER... [-- FOCUS_VERSION]" >&2; exit 2; }
if [ ! -x "$V/bin/focus-validator" ] || ! "$V/bin/pip" show focus-validator 2>/dev/null | grep -qx "Version: $FV_VERSION"; then
  py=$(ls "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | head -1 || true)
  [ -n "$py" ] || py=$(command -v python3.12 || true)
  [ -n "$py" ] || { echo "focus_validator.sh: no Python 3.12 found (pyenv or python3.12 on PATH)" >&2; exit 2; }
  rm -rf "$V"
  "$py" -m venv "$V"
  "$V/bin/pip" install -q "focus-validator==$FV_VERSION" "pyarrow==$PYARROW_VERSION"
fi
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
mkdir -p "$W/focus_validator/rules"
ln -sf "$V"/lib/python3.12/site-packages/focus_validator/rules/currency_codes.csv "$W/focus_validator/rules/"
status=0
for f in "${files[@]}"; do
  out=$(cd "$W" && "$V/bin/focus-validator" --data-file "$f" --validate-version "$FOCUS_VERSION" --block-download 2>&1) || true
  summary=$(printf '%s\n' "$out" | grep -m1 -E '^Total: ' || true)
  if [ -z "$summary" ]; then
    echo "$f: the validator gave no summary:"; printf '%s\n' "$out" | tail -20; status=1; continue
  fi
  echo "$f: $summary"
  printf '%s\n' "$out" | grep -E '^❌' || true
  printf '%s\n' "$summary" | grep -q 'Fail: 0 ' || status=1
done
exit $status
