#!/usr/bin/env bash
# The change-notice benchmark of docs/BENCHMARKS.md: a release build, then
# `jpki-ca bench notices` (1,000,000 residents with both certificates, files of 10,000, 100,000,
# 1,000,000 and 2,000,000 notices ingested by a child `jpki-ca notices ingest`). Pass options through,
# e.g. --residents 100000 --notices 100000 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
swift build -c release --product jpki-ca
echo "== jpki-ca bench notices $*"
./.build/release/jpki-ca bench notices "$@" 2> >(grep -v "DEVELOPMENT CA" >&2)
