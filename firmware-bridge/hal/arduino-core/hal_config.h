/*
 * Sizes of the firmware-bridge built as an Arduino library (hal_arduino_core.cpp), per board the Arduino core
 * names with its ARDUINO_<board> macro. Define TG_BOARD_ID (and any size below) before this header to
 * build for a board not listed. Built and emulated here: the Uno and the Mega 2560 (AVR core). Built here, not
 * run: the Nucleo-F446RE (STM32duino's core, arduino/get-stm32duino.sh). The other 32-bit entries follow each
 * board's profile in boards/ but are not built here (no such core is installed).
 */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#if defined(ARDUINO_AVR_UNO) || defined(ARDUINO_AVR_NANO)
#define TG_BOARD_ID "arduino-uno"
#define TG_STORE_EEPROM 1
#define TG_SYSEX_BUFFER_BYTES 64
#define TG_MAX_PINS 20
#define TG_ANALOG_FIRST 14 /* A0 is pin 14, as the core numbers it */
#define TG_I2C_MAX_QUERIES 4
/* 12 slots of the 6 analog inputs cover a 12 ms stall of the loop (an EEPROM byte takes ~3.4 ms). */
#define TG_SAMPLE_CHANNELS 6
#define TG_SAMPLE_RING 12
#elif defined(ARDUINO_AVR_MEGA2560)
#define TG_BOARD_ID "arduino-mega2560"
#define TG_STORE_EEPROM 1
#define TG_SYSEX_BUFFER_BYTES 64
/* D0-D21 then A0-A15 as pins 22-37 (Arduino's 54-69): D22-D53 are left out to save RAM, as the bare build does. */
#define TG_MAX_PINS 38
#define TG_ANALOG_FIRST 22
#define TG_I2C_MAX_QUERIES 4
#define TG_SAMPLE_CHANNELS 16
#define TG_SAMPLE_RING 8
/* The int8 runtime for small models: the EEPROM slot is copied to RAM to run in place. */
#define TG_WITH_RUNTIME 1
#define TG_MODEL_RAM_BYTES 1984
/* Arena + tables: the model's tables (tensors, ops, kernel data) and its activations share it. */
#define TG_ARENA_BYTES 1504
#define TG_RUNTIME_REPLY_BYTES 160
#define TG_STREAM_WINDOW_BYTES 128
#elif defined(ARDUINO_ARCH_AVR)
#error "tinygate: this AVR board has no entry in hal_config.h; define TG_BOARD_ID and its sizes, or use an Uno or Mega"
#else
/* 32-bit cores: the on-board runtime, samples taken from the loop, and a model store per board below. */
#if !defined(TG_BOARD_ID)
#if defined(ARDUINO_ARDUINO_NANO33BLE)
#define TG_BOARD_ID "arduino-nano-33-ble-sense"
#elif defined(ARDUINO_NANO_RP2040_CONNECT)
#define TG_BOARD_ID "arduino-nano-rp2040-connect"
#elif defined(ARDUINO_RASPBERRY_PI_PICO)
#define TG_BOARD_ID "raspberry-pi-pico"
#elif defined(ARDUINO_ESP32_DEV)
#define TG_BOARD_ID "esp32-devkitc"
#elif defined(ARDUINO_ESP32S3_DEV)
#define TG_BOARD_ID "esp32-s3-devkitc"
#elif defined(ARDUINO_NUCLEO_F446RE)
#define TG_BOARD_ID "nucleo-f446re"
#elif defined(ARDUINO_SEEED_XIAO_NRF52840) || defined(ARDUINO_SEEED_XIAO_NRF52840_SENSE)
#define TG_BOARD_ID "seeed-xiao-nrf52840"
#elif defined(ARDUINO_TEENSY41)
#define TG_BOARD_ID "teensy-4.1"
#else
#error "tinygate: unknown board; define TG_BOARD_ID (a boards/<id>.json profile id) before including TinygateBridge.h"
#endif
#endif
#if defined(ARDUINO_NUCLEO_F446RE)
/* STM32duino: the model store in flash sectors 6-7 (2 x 128 KiB at 0x08040000), where the bare-register build
   keeps it (hal/stm32f4/hal_config.h), written through ST's HAL flash driver; the model runs from there. */
#define TG_STORE_STM32_FLASH 1
#define TG_STORE_ADDRESS 0x08040000u
#define TG_STORE_FIRST_SECTOR 6u
#define TG_STORE_PAGE_BYTES (128u * 1024u)
#define TG_STORE_BYTES (256u * 1024u)
/* Flash is programmed in bytes or words (no ECC): four-byte progress cells are one word each. */
#define TG_PROGRESS_CELL_BYTES 4
#define TG_FLASH_BYTES (512u * 1024u)
#define TG_RAM_BYTES (128u * 1024u)
#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES (88u * 1024u) /* the profile's arena (boards/nucleo-f446re.json), as the bare build's */
#endif
#else
/* 32-bit cores with no flash store written here: the model in a RAM slot, re-flashed after a reset. */
#define TG_STORE_RAM_ARRAY 1
#endif
#define TG_SAMPLER_IN_LOOP 1
#define TG_WITH_RUNTIME 1
#ifndef TG_STORE_BYTES
#define TG_STORE_BYTES 65536u
#endif
#ifndef TG_STORE_PAGE_BYTES
#define TG_STORE_PAGE_BYTES 4096u
#endif
#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES 32768u
#endif
#endif

#ifdef TG_STORE_EEPROM
/* EEPROM bytes can be rewritten one at a time: small pages, one-byte progress cells, few of them. */
#define TG_STORE_PAGE_BYTES 4
#define TG_PROGRESS_CELLS 4
#define TG_PROGRESS_CELL_BYTES 1
#endif

#endif
