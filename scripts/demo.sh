#!/usr/bin/env bash
# scripts/demo.sh - install what is missing, build, and run the main job on
# the bundled sample data: the traffic report (IPv6 share per segment, I2 and
# I3) of data/samples/sample.pcap, stored in out/v6mon.db.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target v6mon-cli >/dev/null
mkdir -p out
./build/v6mon traffic --db out/v6mon.db --vantage sample data/samples/sample.pcap
