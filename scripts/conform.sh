#!/usr/bin/env bash
# conform.sh — run the conformance scenarios and write the reports.
#
#   scripts/conform.sh [shakedown conform options...]
#
# Installs what is missing, builds the default preset, then runs
# `shakedown conform --out runs/latest` with any extra options passed through
# (e.g. --stack boringssl). An --out of your own replaces runs/latest.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset default
cmake --build --preset default

# Where the reports go: runs/latest unless the caller names a folder.
out="runs/latest"
explicit_out=0
prev=""
for arg in "$@"; do
    case "$arg" in
        --out=*) out="${arg#--out=}"; explicit_out=1 ;;
        *) if [ "$prev" = "--out" ]; then out="$arg"; explicit_out=1; fi ;;
    esac
    prev="$arg"
done
args=("$@")
if [ "$explicit_out" = 0 ]; then
    args=(--out "$out" "${args[@]}")
fi

# Findings make shakedown exit non-zero; say where the report is either way,
# then pass its status on.
status=0
build/default/shakedown conform "${args[@]}" || status=$?

case "$out" in
    /*) where="$out" ;;
    *) where="$PWD/$out" ;;
esac
echo
echo "conform: reports in $where/ (index.html, results.json, junit.xml, summary.md)"
exit "$status"
