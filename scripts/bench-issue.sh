#!/usr/bin/env bash
# The issuance benchmark of docs/BENCHMARKS.md: installs wrk if missing, prints OpenSSL's own
# RSA-2048 signing rate, then runs `jpki-ca bench issue` from a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== openssl speed -seconds 3 rsa2048 (one core)"
openssl speed -seconds 3 rsa2048 2>/dev/null | tail -2
swift build -c release --product jpki-ca
echo "== jpki-ca bench issue $*"
./.build/release/jpki-ca bench issue "$@"
