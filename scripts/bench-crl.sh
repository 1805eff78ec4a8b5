#!/usr/bin/env bash
# The CRL benchmark of docs/BENCHMARKS.md: a release build, then `jpki-ca bench crl` (full
# regeneration of every CRL at 1,000,000 and 10,000,000 revoked certificates, each timed by
# /usr/bin/time in a child process, beside `openssl ca -gencrl` at 1,000,000). Pass options
# through, e.g. --entries 100000 --peer-limit 100000 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
swift build -c release --product jpki-ca
echo "== jpki-ca bench crl $*"
./.build/release/jpki-ca bench crl "$@" 2> >(grep -v "DEVELOPMENT CA" >&2)
