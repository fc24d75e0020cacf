#!/usr/bin/env bash
# verilator --lint-only -Wall on every RTL module, each as its own top. Fails on any report.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v verilator >/dev/null || { echo "lint_rtl: verilator not found (apt-get install verilator)" >&2; exit 1; }
shopt -s nullglob
files=(rtl/*.v)
[ ${#files[@]} -gt 0 ] || { echo "lint_rtl: no RTL modules in rtl/" >&2; exit 1; }
status=0
for f in "${files[@]}"; do
  top=$(basename "$f" .v)
  if ! verilator --lint-only -Wall -Irtl --top-module "$top" "$f"; then
    echo "lint_rtl: $f has verilator warnings" >&2
    status=1
  fi
done
if ! verilator --lint-only -Wall -Irtl "${files[@]}"; then
  echo "lint_rtl: rtl/*.v linted together has verilator warnings" >&2
  status=1
fi
[ $status -eq 0 ] && echo "lint_rtl: ${#files[@]} modules clean, each alone and all together"
exit $status
