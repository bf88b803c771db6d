/**
 * For each board profile: whether the firmware-bridge is built here (a make target of firmware-bridge/) and
 * how the board takes firmware. One table, so `firmware build`, `firmware install` and the docs agree.
 */

/** A build made by `make -C firmware-bridge <target>`; paths are relative to firmware-bridge/. */
export interface MakeBuild {
  makeTarget: string;
  /** The image a board or emulator takes (.hex, .bin, .elf, or the host program). */
  image: string;
  /** Other files the same target writes that a user may want (e.g. the .elf beside a .hex). */
  also: string[];
  /** The ELF whose sections give flash and static RAM, and the size tool that reads it. */
  elf: string;
  sizeTool: 'avr-size' | 'arm-none-eabi-size' | 'size';
  /** What it needs installed (Debian packages), for the error when make fails. */
  needs: string;
}

/** An Arduino core for arduino-cli (the board's FQBN, and the package index URL when it is not Arduino's own). */
export interface ArduinoCore {
  fqbn: string;
  core: string;
  indexUrl?: string;
}

export type Installer =
  /** Through the board's serial bootloader with avrdude (Optiboot speaks STK500 v1, the Mega's stk500v2 wiring). */
  | { kind: 'avrdude'; programmer: 'arduino' | 'wiring'; part: string; baud: number; bootloader: string }
  /** The Nucleo's ST-LINK: copy the .bin to its USB drive, or write it with st-flash at the start of flash. */
  | { kind: 'st-link'; driveExample: string; flashAddress: string }
  /** An RP2040 in BOOTSEL mode mounts a drive that takes a .uf2 file. */
  | ({ kind: 'uf2'; driveExample: string } & ArduinoCore)
  /** The Arduino library built and uploaded by arduino-cli with the board's core. */
  | ({ kind: 'arduino-cli' } & ArduinoCore)
  /** An emulated board runs the build directly. */
  | { kind: 'emulated'; run: string }
  | { kind: 'none'; why: string };

export interface FirmwareTarget {
  board: string;
  build?: MakeBuild;
  /** The same bridge as the Arduino library's example sketch, built here by arduino-builder (Uno, Mega). */
  libraryBuild?: MakeBuild;
  install: Installer;
}

/** Which build `firmware build` and `firmware install` take: the bare-register one or the Arduino library's. */
export const FIRMWARE_BUILDS = ['bare', 'arduino-library'] as const;
export type FirmwareBuildKind = (typeof FIRMWARE_BUILDS)[number];

const AVR_NEEDS =
  'avr-gcc, avr-libc and binutils-avr (Debian: apt-get install gcc-avr avr-libc binutils-avr)';
const ARM_NEEDS =
  'arm-none-eabi-gcc and newlib (Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)';
const ESP32_INDEX = 'https://espressif.github.io/arduino-esp32/package_esp32_index.json';

/** An AVR board's build: the bare-register one (`make hex`) or the Arduino library's sketch (`make arduino`). */
const avr = (board: string, kind: FirmwareBuildKind = 'bare'): MakeBuild => {
  const dir = kind === 'bare' ? 'build/avr' : 'build/arduino';
  return {
    makeTarget: kind === 'bare' ? 'hex' : 'arduino',
    image: `${dir}/${board}.hex`,
    also: [`${dir}/${board}.elf`],
    elf: `${dir}/${board}.elf`,
    sizeTool: 'avr-size',
    needs:
      kind === 'bare'
        ? AVR_NEEDS
        : `arduino-builder and the Arduino AVR core (Debian: apt-get install arduino-builder arduino-core-avr) besides ${AVR_NEEDS}`,
  };
};

const NO_BRIDGE =
  'the firmware-bridge has no HAL for it, and the Arduino library does not name it (hal/arduino-core/hal_config.h)';

export const FIRMWARE_TARGETS: Record<string, FirmwareTarget> = {
  'arduino-uno': {
    board: 'arduino-uno',
    build: avr('arduino-uno'),
    libraryBuild: avr('arduino-uno', 'arduino-library'),
    install: {
      kind: 'avrdude',
      programmer: 'arduino',
      part: 'atmega328p',
      baud: 115200,
      bootloader: 'Optiboot',
    },
  },
  'arduino-mega2560': {
    board: 'arduino-mega2560',
    build: avr('arduino-mega2560'),
    libraryBuild: avr('arduino-mega2560', 'arduino-library'),
    install: {
      kind: 'avrdude',
      programmer: 'wiring',
      part: 'atmega2560',
      baud: 115200,
      bootloader: 'stk500v2',
    },
  },
  'nucleo-f446re': {
    board: 'nucleo-f446re',
    build: {
      makeTarget: 'stm32f4',
      image: 'build/stm32f4/nucleo-f446re.bin',
      also: ['build/stm32f4/nucleo-f446re.hex', 'build/stm32f4/nucleo-f446re.elf'],
      elf: 'build/stm32f4/nucleo-f446re.elf',
      sizeTool: 'arm-none-eabi-size',
      needs: ARM_NEEDS,
    },
    install: { kind: 'st-link', driveExample: '/media/$USER/NODE_F446RE', flashAddress: '0x08000000' },
  },
  'qemu-mps2-an385': {
    board: 'qemu-mps2-an385',
    build: {
      makeTarget: 'qemu',
      image: 'build/qemu/mps2-an385.elf',
      also: [],
      elf: 'build/qemu/mps2-an385.elf',
      sizeTool: 'arm-none-eabi-size',
      needs: ARM_NEEDS,
    },
    install: { kind: 'emulated', run: 'tinygate sim board --target qemu-mps2-an385' },
  },
  'qemu-mps2-an386': {
    board: 'qemu-mps2-an386',
    build: {
      makeTarget: 'qemu-m4',
      image: 'build/qemu/mps2-an386.elf',
      also: ['build/qemu/mps2-an386-no-dsp.elf'],
      elf: 'build/qemu/mps2-an386.elf',
      sizeTool: 'arm-none-eabi-size',
      needs: ARM_NEEDS,
    },
    install: { kind: 'emulated', run: 'tinygate sim board --target qemu-mps2-an386' },
  },
  'qemu-netduinoplus2': {
    board: 'qemu-netduinoplus2',
    build: {
      makeTarget: 'stm32f4',
      image: 'build/stm32f4/qemu-netduinoplus2.elf',
      also: [],
      elf: 'build/stm32f4/qemu-netduinoplus2.elf',
      sizeTool: 'arm-none-eabi-size',
      needs: ARM_NEEDS,
    },
    install: { kind: 'emulated', run: 'tinygate sim board --target qemu-netduinoplus2' },
  },
  'virtual-host': {
    board: 'virtual-host',
    build: {
      makeTarget: 'host',
      image: 'build/host/tinygate-host-board',
      also: [],
      elf: 'build/host/tinygate-host-board',
      sizeTool: 'size',
      needs: 'make and a C compiler (Debian: apt-get install make gcc)',
    },
    install: { kind: 'emulated', run: 'tinygate sim board' },
  },
  'arduino-nano-33-ble-sense': {
    board: 'arduino-nano-33-ble-sense',
    install: { kind: 'arduino-cli', fqbn: 'arduino:mbed_nano:nano33ble', core: 'arduino:mbed_nano' },
  },
  'arduino-nano-rp2040-connect': {
    board: 'arduino-nano-rp2040-connect',
    install: { kind: 'arduino-cli', fqbn: 'arduino:mbed_nano:nanorp2040connect', core: 'arduino:mbed_nano' },
  },
  'raspberry-pi-pico': {
    board: 'raspberry-pi-pico',
    install: {
      kind: 'uf2',
      fqbn: 'rp2040:rp2040:rpipico',
      core: 'rp2040:rp2040',
      indexUrl:
        'https://github.com/earlephilhower/arduino-pico/releases/download/global/package_rp2040_index.json',
      driveExample: '/media/$USER/RPI-RP2',
    },
  },
  'esp32-devkitc': {
    board: 'esp32-devkitc',
    install: { kind: 'arduino-cli', fqbn: 'esp32:esp32:esp32', core: 'esp32:esp32', indexUrl: ESP32_INDEX },
  },
  'esp32-s3-devkitc': {
    board: 'esp32-s3-devkitc',
    install: { kind: 'arduino-cli', fqbn: 'esp32:esp32:esp32s3', core: 'esp32:esp32', indexUrl: ESP32_INDEX },
  },
  'seeed-xiao-nrf52840': {
    board: 'seeed-xiao-nrf52840',
    install: {
      kind: 'arduino-cli',
      fqbn: 'Seeeduino:mbed:xiaonRF52840',
      core: 'Seeeduino:mbed',
      indexUrl: 'https://files.seeedstudio.com/arduino/package_seeeduino_boards_index.json',
    },
  },
  'teensy-4.1': {
    board: 'teensy-4.1',
    install: {
      kind: 'arduino-cli',
      fqbn: 'teensy:avr:teensy41',
      core: 'teensy:avr',
      indexUrl: 'https://www.pjrc.com/teensy/package_teensy_index.json',
    },
  },
  'sparkfun-edge': { board: 'sparkfun-edge', install: { kind: 'none', why: NO_BRIDGE } },
  'stm32-disco-f746ng': { board: 'stm32-disco-f746ng', install: { kind: 'none', why: NO_BRIDGE } },
  'stm32-nucleo-l4r5zi': { board: 'stm32-nucleo-l4r5zi', install: { kind: 'none', why: NO_BRIDGE } },
};
