#!/usr/bin/env bash
# Set up everything camaudit needs on a Debian 12+ machine, idempotently:
# Debian packages (when missing and we are root), a project-local venv in .venv,
# and the Python dependencies.  Sourced by demo.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

APT_PACKAGES=(
  iproute2 nmap tcpdump procps xvfb xauth poppler-utils fonts-dejavu-core
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxkbcommon-x11-0 libxcb-xinerama0 libxcb-shape0 libxcb-randr0 libxcb-xfixes0
  libxcb-sync1 libxcb-xkb1
  # device implementations we did not write, run by the lab (lab/profiles/thirdparty-*.toml)
  wsdd wsdd2 avahi-daemon minidlna
  # net-snmp's agent (the lab's router and SNMP camera) and its client tools (the tests' witness)
  snmpd snmp
  # the tests' and bench's throwaway PostgreSQL servers (initdb/pg_ctl on a Unix socket only)
  postgresql
  # Wireshark's copy of the IANA enterprise-number registry (vendors/pen_build.py's input; the
  # test that the bundled vendors/data/pen file rebuilds byte for byte from it)
  libwireshark-data
)
# Daemons the lab runs inside its namespaces only: installing them must never start them in
# the machine's own namespace, where they would announce themselves on the real network.
LAB_DAEMONS=(wsdd wsdd2 avahi-daemon minidlna snmpd postgresql)

missing_apt() {
  local pkg out=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || out+=("$pkg")
  done
  echo "${out[@]:-}"
}

install_apt() {
  local need
  need="$(missing_apt)"
  [ -z "$need" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "camaudit: missing Debian packages: $need (run as root, or: sudo apt-get install $need)" >&2
    return 0
  fi
  echo "camaudit: installing Debian packages: $need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ]; then  # invoke-rc.d: 101 = "action not allowed" for every service
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need >/dev/null || { [ -n "$added" ] && rm -f "$policy"; return 1; }
  [ -n "$added" ] && rm -f "$policy"
  stop_lab_daemons
}

stop_lab_daemons() {
  # Belt and braces: a machine whose systemd starts units regardless of policy-rc.d.
  local unit
  command -v systemctl >/dev/null 2>&1 || return 0
  for unit in "${LAB_DAEMONS[@]}" avahi-daemon.socket; do
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
}

pick_python() {
  local py
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "camaudit: Python 3.11 or newer is required" >&2
  return 1
}

make_venv() {
  local py
  py="$(pick_python)"
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$VENV"; "$py" -m venv "$VENV"
    fi
  fi
  local stamp="$VENV/.camaudit-deps"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
    touch "$stamp"
  fi
}

install_apt
make_venv
