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
# The int8 conversion the gateway runs (calibrated on 10 min of another healthy run, seed 202).
calib=$tmp/healthy-600s-seed202.csv
npx tinygate sim data --scenario healthy --duration 600 --seed 202 -o "$calib"
npx tinygate convert models/motor-vib --calib "$calib" -o models/motor-vib/model.int8.tflite --board arduino-nano-33-ble-sense raspberry-pi-pico
