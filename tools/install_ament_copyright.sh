#!/usr/bin/env bash
# Copyright 2026 asynet_ros contributors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Install ament_copyright into a venv: no Python registry carries it, Debian does
# (python3-ament-copyright, pure Python). Downloads the .deb with apt-get (no install, no root
# needed once the package lists exist; as root, the lists are fetched when missing) and copies
# the module and its egg-info (entry points: licences, copyright names) into site-packages.
# Usage: tools/install_ament_copyright.sh VENV
set -euo pipefail
venv=$(realpath "$1")
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if "$venv/bin/python" -c 'import ament_copyright.main' 2>/dev/null; then
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download python3-ament-copyright >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1 || true
    fi
    apt-get download python3-ament-copyright >/dev/null 2>&1 || {
        echo "install_ament_copyright: could not download python3-ament-copyright with apt-get;" \
             "the copyright test checks the licence header itself" >&2
        exit 0
    }
fi
dpkg-deb -x python3-ament-copyright_*.deb root
cp -r root/usr/lib/python3/dist-packages/ament_copyright root/usr/lib/python3/dist-packages/ament_copyright-*.egg-info "$site/"
"$venv/bin/python" -c 'import ament_copyright.main'
echo "install_ament_copyright: $(ls root/usr/lib/python3/dist-packages | grep egg-info) -> $site"
