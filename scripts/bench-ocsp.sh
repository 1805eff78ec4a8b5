#!/usr/bin/env bash
# The OCSP benchmark of docs/BENCHMARKS.md: a release build, then `jpki-ca bench ocsp` (wrk
# rotating over many distinct OCSP requests against jpki-ca's responder, and in the same run
# against `openssl ocsp -multi 2`, which signs every response, and `cfssl ocspserve`, which
# serves pre-signed ones). Pass options through.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v cfssl >/dev/null 2>&1 || missing+=(golang-cfssl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== $(openssl version), cfssl $(cfssl version | awk '/^Version/ {print $2}'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
swift build -c release --product jpki-ca
echo "== jpki-ca bench ocsp $*"
./.build/release/jpki-ca bench ocsp "$@" 2> >(grep -v "DEVELOPMENT CA" >&2)
