#!/usr/bin/env bash
# Fetches the real models the runtime bench runs beside ../shared/reference-models, at pinned commits, into
# TINYGATE_MODELS (default ~/.cache/tinygate/reference-models: outside the repository, never copied in):
# MLPerf Tiny's vww_96 and ResNet-8 (Google's int8 and the float each came from) from mlcommons/tiny, and
# TensorFlow Lite Micro's person_detect. Each *_GIT may name a local mirror. Only the named files are read.
#   bash bench/peers/models/get.sh
set -euo pipefail
out="${TINYGATE_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/tinygate/reference-models}"
TINY_GIT="${TINY_GIT:-https://github.com/mlcommons/tiny}"
TFLM_GIT="${TFLM_GIT:-https://github.com/tensorflow/tflite-micro}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# repo-url commit then pairs of "path-in-repo file-name"; a blobless clone fetches only the blobs read.
take() {
  local url="$1" commit="$2" git="$tmp/$(printf %s "$1" | tr -c A-Za-z0-9 _).git"
  shift 2
  git clone -q --bare --filter=blob:none "$url" "$git" 2>/dev/null || git clone -q --bare "$url" "$git"
  while [ $# -gt 0 ]; do
    git --git-dir="$git" show "$commit:$1" >"$out/$2.part"
    mv "$out/$2.part" "$out/$2"
    echo "$2 $(wc -c <"$out/$2") B from ${url##*github.com/}@${commit:0:8}:$1"
    shift 2
  done
}
mkdir -p "$out"
take "$TINY_GIT" 1afd2c9820f795965a6134facd0b4dfae41ef23f \
  benchmark/training/visual_wake_words/trained_models/vww_96_int8.tflite vww_96_int8.tflite \
  benchmark/training/visual_wake_words/trained_models/vww_96_float.tflite vww_96_float.tflite \
  benchmark/training/image_classification/trained_models/pretrainedResnet_quant.tflite resnet8_int8.tflite \
  benchmark/training/image_classification/trained_models/pretrainedResnet.tflite resnet8_float.tflite
take "$TFLM_GIT" 90b983c2b3f1480642e040bbd2ddb37b998f3424 \
  tensorflow/lite/micro/models/person_detect.tflite person_detect_int8.tflite
