#!/usr/bin/env bash
# How models/motor-vib was made: 30 min of the healthy simulated motor (seed 101), ADXL335 channels only.
# Training is seeded and deterministic on the wasm backend: the same commands give the same hash.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/healthy-1800s-seed101.csv
npx tinygate sim data --scenario healthy --duration 1800 --seed 101 -o "$data"
npx tinygate train --data "$data" --channels vib.x,vib.y,vib.z --id motor-vib -o models/motor-vib
