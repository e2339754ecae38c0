#!/usr/bin/env bash
# Installs everything VIDA needs on a fresh Debian machine (run as root, or with sudo present):
#   scripts/setup.sh run    Debian packages for the studio, then .venv with VIDA
#   scripts/setup.sh test   the above plus the real parts the tests drive: nginx with the RTMP
#                           module, ffmpeg/ffprobe, Chromium, openssl, iproute2, PostgreSQL,
#                           node with the Khronos glTF-Validator and axe-core (npm, .tools/)
# Both generate the default avatar, models/default_avatar.glb, when it is missing or stale.
# It is idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
run_packages=(python3-venv libegl1 libgl1 libegl-mesa0 libgbm1 libgl1-mesa-dri)
test_packages=(ffmpeg nginx libnginx-mod-rtmp libnginx-mod-stream chromium openssl iproute2 fonts-dejavu-core
  postgresql)
packages=("${run_packages[@]}")
[ "$mode" = test ] && packages+=("${test_packages[@]}")

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# node and npm run the glTF-Validator. Only what is missing comes from Debian: a node from
# elsewhere (NodeSource's nodejs ships its own npm, which Debian's npm package conflicts with)
# is used as it is.
if [ "$mode" = test ]; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
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

# Node tools for the tests, pinned, in the gitignored .tools/: the Khronos glTF-Validator
# (tests/support/gltf_validator.py) and axe-core, the accessibility checker the browser tests
# run in each page (tests/support/accessibility.py).
npm_tools=(gltf-validator@2.0.0-dev.3.10 axe-core@4.14.1)
if [ "$mode" = test ]; then
  for tool in "${npm_tools[@]}"; do
    name=${tool%@*} version=${tool##*@}
    if ! grep -qs "\"version\": \"$version\"" ".tools/node_modules/$name/package.json"; then
      echo "setup: installing $tool into .tools"
      npm install --prefix .tools --no-audit --no-fund --save-exact "$tool" >/dev/null
    fi
  done
fi

# The default avatar is generated, not kept in git: (re)make it when missing or older than
# the code that writes it.
avatar=models/default_avatar.glb
avatar_sources=(rigging/default_avatar.py rigging/glb_writer.py rigging/model.py rigging/transforms.py)
if [ ! -f "$avatar" ] || [ -n "$(find "${avatar_sources[@]}" -newer "$avatar")" ]; then
  .venv/bin/python scripts/make_default_avatar.py "$avatar"
fi
