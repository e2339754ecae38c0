#!/usr/bin/env bash
# Installs everything VIDA needs on a fresh Debian machine (run as root, or with sudo present):
#   scripts/setup.sh run    Debian packages for the studio, then .venv with VIDA
#   scripts/setup.sh test   the above plus the real parts the tests drive: nginx with the RTMP
#                           module, ffmpeg/ffprobe, Chromium, openssl, iproute2, PostgreSQL
# It is idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
run_packages=(python3-venv)
test_packages=(ffmpeg nginx libnginx-mod-rtmp libnginx-mod-stream chromium openssl iproute2 fonts-dejavu-core
  postgresql)
packages=("${run_packages[@]}")
[ "$mode" = test ] && packages+=("${test_packages[@]}")

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
# Reinstall only when the dependency list changed.
stamp=".venv/.vida-$mode-$(cat pyproject.toml scripts/requirements-nodeps.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv ($mode)"
  extra=""
  [ "$mode" = test ] && extra="[test]"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  .venv/bin/python -m pip install -q --no-deps -r scripts/requirements-nodeps.txt
  touch "$stamp"
fi
