#!/usr/bin/env bash
# Builds the TinygateBridge example sketch with Debian's arduino-builder and arduino-core-avr, as the Arduino
# IDE would. Usage: arduino/build.sh <arduino-uno|arduino-mega2560> <out.hex>
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
board=$1
out=$2
case "$board" in
  arduino-uno) fqbn=arduino:avr:uno ;;
  arduino-mega2560) fqbn=arduino:avr:mega:cpu=atmega2560 ;;
  *) echo "arduino/build.sh: no Arduino core here for $board (built here: arduino-uno, arduino-mega2560)" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/arduino/assemble.sh" "$work/libraries/TinygateBridge"
mkdir -p "$work/sketch/TinygateBridge" "$work/build" "$work/cache"
cp "$here/arduino/examples/TinygateBridge/TinygateBridge.ino" "$work/sketch/TinygateBridge/"
# Debian's package leaves out the ctags recipe, and its avr-gcc 5.4 <float.h> defines DECIMAL_DIG for C
# only, which the core's WString.cpp needs in C++: both are supplied here.
arduino-builder -compile -hardware /usr/share/arduino/hardware -tools /usr/bin \
  -libraries "$work/libraries" -build-path "$work/build" -build-cache "$work/cache" -fqbn "$fqbn" \
  -prefs 'tools.ctags.path=/usr/bin' -prefs 'tools.ctags.cmd.path={path}/arduino-ctags' \
  -prefs 'tools.ctags.pattern="{cmd.path}" -u --language-force=c++ -f - --c++-kinds=svpf --fields=KSTtzns --line-directives "{source_file}"' \
  -prefs 'compiler.cpp.extra_flags=-DDECIMAL_DIG=__DECIMAL_DIG__' \
  -warnings default \
  "$work/sketch/TinygateBridge/TinygateBridge.ino" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
grep -E '^(Sketch uses|Global variables)' "$work/log" >&2 || true
mkdir -p "$(dirname "$out")"
cp "$work/build/TinygateBridge.ino.hex" "$out.tmp.$$"
cp "$work/build/TinygateBridge.ino.elf" "${out%.hex}.elf.tmp.$$"
mv -f "$out.tmp.$$" "$out"
mv -f "${out%.hex}.elf.tmp.$$" "${out%.hex}.elf"
