#!/usr/bin/env bash
# Fetches STM32duino's Arduino core (release 2.12.0) and the CMSIS it names (CMSIS 6.2.0) at pinned commits
# into STM32DUINO_DIR (default ~/.cache/tinygate/arduino-stm32: outside the repository, so nothing of theirs
# is linted, type-checked or packed with it), laid out as arduino-builder's -hardware folder:
#   $STM32DUINO_DIR/hardware/STMicroelectronics/stm32   the core, only what the Nucleo-F446RE build reads
#   $STM32DUINO_DIR/tools/CMSIS_6                        CMSIS 6 (platform.txt's runtime.tools.CMSIS-6.2.0.path)
# arduino/build.sh nucleo-f446re then builds the example sketch with it. Each *_GIT may name a local mirror.
#   bash firmware-bridge/arduino/get-stm32duino.sh
set -euo pipefail
dir="${STM32DUINO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinygate/arduino-stm32}"
STM32DUINO_GIT="${STM32DUINO_GIT:-https://github.com/stm32duino/Arduino_Core_STM32}"
CMSIS6_GIT="${CMSIS6_GIT:-https://github.com/ARM-software/CMSIS_6}"

checkout() { # folder url commit [sparse paths...]: a clone with only the named paths in its work tree
  local to=$1 url=$2 commit=$3
  shift 3
  if [ ! -d "$to/.git" ]; then
    mkdir -p "$(dirname "$to")"
    git clone -q --no-checkout "$url" "$to"
  fi
  if [ $# -gt 0 ]; then
    git -C "$to" sparse-checkout set --no-cone "$@"
  else
    git -C "$to" sparse-checkout disable
  fi
  git -C "$to" checkout -q --force "$commit"
}

# STM32duino 2.12.0 (tag 2.12.0): the core, its built-in libraries, the STM32F4 HAL and CMSIS device files,
# and the F446R(C-E)T variant, which holds the NUCLEO_F446RE board.
checkout "$dir/hardware/STMicroelectronics/stm32" "$STM32DUINO_GIT" 8c31e50ca9b7b91ebf63fe252dcee0cbbd9a5299 \
  /boards.txt /platform.txt /cores/ /libraries/ /system/ldscript.ld /system/extras/ /system/STM32F4xx/ \
  /system/Drivers/STM32F4xx_HAL_Driver/ /system/Drivers/CMSIS/Device/ST/STM32F4xx/ \
  '/variants/STM32F4xx/F446R(C-E)T/'
# CMSIS 6.2.0 (tag v6.2.0), the version STM32duino 2.12.0's platform.txt names; only its Core headers are read.
checkout "$dir/tools/CMSIS_6" "$CMSIS6_GIT" 6f0a58d01aa9bd2feba212097f9afe7acd991d52 /CMSIS/Core/
echo "STM32duino 2.12.0 and CMSIS 6.2.0 in $dir"
