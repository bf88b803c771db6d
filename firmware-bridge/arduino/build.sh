#!/usr/bin/env bash
# Builds the TinygateBridge example sketch with Debian's arduino-builder, as the Arduino IDE would: for the Uno
# and the Mega with Debian's arduino-core-avr, for the Nucleo-F446RE with STM32duino's core as
# arduino/get-stm32duino.sh fetched it (STM32DUINO_DIR) and Debian's arm-none-eabi-gcc.
# Usage: arduino/build.sh <arduino-uno|arduino-mega2560|nucleo-f446re> <out.hex>
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
board=$1
out=$2
case "$board" in
  arduino-uno) fqbn=arduino:avr:uno ;;
  arduino-mega2560) fqbn=arduino:avr:mega:cpu=atmega2560 ;;
  nucleo-f446re) fqbn=STMicroelectronics:stm32:Nucleo_64:pnum=NUCLEO_F446RE ;;
  *) echo "arduino/build.sh: no Arduino core here for $board (built here: arduino-uno, arduino-mega2560, nucleo-f446re)" >&2; exit 2 ;;
esac
hardware=(-hardware /usr/share/arduino/hardware)
core_prefs=(-prefs 'compiler.cpp.extra_flags=-DDECIMAL_DIG=__DECIMAL_DIG__')
if [ "$board" = nucleo-f446re ]; then
  stm32=${STM32DUINO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinygate/arduino-stm32}
  if [ ! -f "$stm32/hardware/STMicroelectronics/stm32/platform.txt" ]; then
    echo "arduino/build.sh: STM32duino's core is not in $stm32: run firmware-bridge/arduino/get-stm32duino.sh" >&2
    exit 2
  fi
  hardware=(-hardware "$stm32/hardware")
  # The tools the board manager would install: Debian's arm-none-eabi-gcc (in /usr/bin) and the fetched CMSIS;
  # the prebuild hook runs with sh, not the busybox STM32duino ships for Windows.
  core_prefs=(-prefs 'runtime.tools.xpack-arm-none-eabi-gcc-14.2.1-1.1.path=/usr'
    -prefs "runtime.tools.CMSIS-6.2.0.path=$stm32/tools/CMSIS_6"
    -prefs 'recipe.hooks.prebuild.1.pattern=sh "{extras.path}/prebuild.sh" "{build.path}" "{build.source.path}" "{runtime.platform.path}" "usb={build.enable_usb}" "virtio={build.enable_virtio}"')
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/arduino/assemble.sh" "$work/libraries/TinygateBridge"
mkdir -p "$work/sketch/TinygateBridge" "$work/build" "$work/cache"
cp "$here/arduino/examples/TinygateBridge/TinygateBridge.ino" "$work/sketch/TinygateBridge/"
# Debian's package leaves out the ctags recipe, and its avr-gcc 5.4 <float.h> defines DECIMAL_DIG for C
# only, which the AVR core's WString.cpp needs in C++: both are supplied here.
arduino-builder -compile "${hardware[@]}" -tools /usr/bin \
  -libraries "$work/libraries" -build-path "$work/build" -build-cache "$work/cache" -fqbn "$fqbn" \
  -prefs 'tools.ctags.path=/usr/bin' -prefs 'tools.ctags.cmd.path={path}/arduino-ctags' \
  -prefs 'tools.ctags.pattern="{cmd.path}" -u --language-force=c++ -f - --c++-kinds=svpf --fields=KSTtzns --line-directives "{source_file}"' \
  "${core_prefs[@]}" -warnings default \
  "$work/sketch/TinygateBridge/TinygateBridge.ino" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
grep -E '^(Sketch uses|Global variables)' "$work/log" >&2 || true
mkdir -p "$(dirname "$out")"
cp "$work/build/TinygateBridge.ino.hex" "$out.tmp.$$"
cp "$work/build/TinygateBridge.ino.elf" "${out%.hex}.elf.tmp.$$"
mv -f "$out.tmp.$$" "$out"
mv -f "${out%.hex}.elf.tmp.$$" "${out%.hex}.elf"
