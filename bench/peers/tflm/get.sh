#!/usr/bin/env bash
# Fetches TensorFlow Lite Micro and the sources its Makefile would download, at pinned commits, into
# TFLM_PEER_SRC (default ~/.cache/tinygate/tflm-peer: outside the repository, so nothing of theirs is linted,
# type-checked or packed with it), and builds the peer into bench/peers/tflm/build/ (Makefile). Each *_GIT
# may name a local mirror; JOBS sets make's parallelism.
#   bash bench/peers/tflm/get.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${TFLM_PEER_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/tinygate/tflm-peer}"
TFLM_GIT="${TFLM_GIT:-https://github.com/tensorflow/tflite-micro}"
FLATBUFFERS_GIT="${FLATBUFFERS_GIT:-https://github.com/google/flatbuffers}"
GEMMLOWP_GIT="${GEMMLOWP_GIT:-https://github.com/google/gemmlowp}"
RUY_GIT="${RUY_GIT:-https://github.com/google/ruy}"

checkout() { # name url commit
  if [ ! -d "$src/$1/.git" ]; then git clone -q "$2" "$src/$1"; fi
  git -C "$src/$1" checkout -q --force "$3"
}
mkdir -p "$src"
checkout tflite-micro "$TFLM_GIT" 90b983c2b3f1480642e040bbd2ddb37b998f3424
# The flatbuffers release TFLite Micro's schema asserts (v25.9.23), patched as its own download script does.
checkout flatbuffers "$FLATBUFFERS_GIT" 187240970746d00bbd26b0f5873ed54d2477f9f3
git -C "$src/flatbuffers" apply "$src/tflite-micro/tensorflow/lite/micro/tools/make/flatbuffers.patch"
# gemmlowp and ruy at the commits tensorflow/lite/micro/tools/make/third_party_downloads.inc names.
checkout gemmlowp "$GEMMLOWP_GIT" 719139ce755a0f31cbf1c37f7f98adcc7fc9f425
checkout ruy "$RUY_GIT" d37128311b445e758136b8602d1bbd2a755e115d
for core in m3 m4; do make -C "$here" -j"${JOBS:-$(nproc)}" CORE="$core" TFLM_DIR="$src/tflite-micro" FLATBUFFERS_DIR="$src/flatbuffers" \
  GEMMLOWP_DIR="$src/gemmlowp" RUY_DIR="$src/ruy"; done
