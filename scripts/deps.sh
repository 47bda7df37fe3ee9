#!/usr/bin/env bash
# scripts/deps.sh - install every Debian package that building v6mon, running
# it and running its tests need. Idempotent and quiet when all is present.
#
#   scripts/deps.sh            build + tool + tests
#   scripts/deps.sh --bench    also the benchmark anchors (tcpdump, softflowd)
#
# Only Debian packages, through apt-get; nothing else is downloaded.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config git
  libpcap-dev libsqlite3-dev libssl-dev libndpi-dev
  libc-ares-dev libcurl4-openssl-dev libgumbo-dev libpsl-dev libmicrohttpd-dev
  # tests
  libcmocka-dev tshark python3 sqlite3 iproute2 clang libclang-rt-14-dev
  nginx-light nsd unbound openssl nftables curl
  ffmpeg chromium fonts-noto-cjk fonts-dejavu-core prometheus apache2-utils libxml2-utils
)
if [[ "${1:-}" == "--bench" ]]; then
  PACKAGES+=(tcpdump softflowd time libndpi-bin dnsperf)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The lab's servers (nginx, nsd, unbound) are started by the tests with their
# own configs inside network namespaces; the Debian packages would also start
# system services on ports 53 and 80 (and nsd and unbound fight over 53). A
# temporary policy-rc.d keeps the packages' services from starting during the
# install, unless the machine already has one of its own.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# v6mon scripts/deps.sh: no service starts during the install\nexit 101\n' |
    $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/v6mon-deps.log 2>&1; then
  $SUDO apt-get update -qq >>/tmp/v6mon-deps.log 2>&1
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/v6mon-deps.log 2>&1 || {
    echo "deps.sh: apt-get install failed; see /tmp/v6mon-deps.log" >&2
    tail -20 /tmp/v6mon-deps.log >&2
    exit 1
  }
fi
