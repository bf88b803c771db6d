/*
 * The firmware-bridge HAL on the Arduino core API (Serial, analogRead, Wire, millis/micros, EEPROM), so the
 * bridge builds as an Arduino library for any core. Sizes per board: hal_config.h. The model store: EEPROM on
 * AVR cores, flash sectors through ST's HAL on STM32duino's Nucleo-F446RE, a RAM slot elsewhere. On AVR cores the
 * samples are taken in Timer0's compare-A interrupt (the core's millis() runs on its overflow, so compare A
 * is free); other cores take them from the loop (TG_SAMPLER_IN_LOOP), and the sample marks show any slot
 * a busy loop lost.
 */
#include <Arduino.h>
#include <Wire.h>

#include "TinygateBridge.h"
#include "tg_config.h" /* the board's sizes and which store it has (hal_config.h) */

#if defined(TG_STORE_EEPROM)
#include <EEPROM.h>
#endif
#if defined(TG_STORE_STM32_FLASH)
#include <string.h>
#endif

extern "C" {
#include "bridge.h"
#include "hal.h"
#include "sampler.h"
#if defined(TG_STORE_RAM_ARRAY)
#include "ram_store.h"
#endif
}

#define BAUD_RATE 115200UL

#if defined(ARDUINO_ARCH_AVR)
#define ADC_BITS 10
#define FLASH_BYTES ((uint32_t)FLASHEND + 1UL)
#define RAM_BYTES ((uint32_t)(RAMEND - RAMSTART + 1))
#else
#define ADC_BITS 12
#ifndef TG_FLASH_BYTES
#define TG_FLASH_BYTES 0 /* not known to the core API: the profile has it */
#endif
#ifndef TG_RAM_BYTES
#define TG_RAM_BYTES 0
#endif
#define FLASH_BYTES TG_FLASH_BYTES
#define RAM_BYTES TG_RAM_BYTES
#endif

#if defined(SERIAL_RX_BUFFER_SIZE)
#define RX_BUFFER_BYTES SERIAL_RX_BUFFER_SIZE
#else
#define RX_BUFFER_BYTES 64 /* what every core's Serial holds at least */
#endif

#ifndef TG_ANALOG_FIRST
#define TG_ANALOG_FIRST (NUM_DIGITAL_PINS - NUM_ANALOG_INPUTS)
#endif
#define PIN_COUNT (TG_MAX_PINS < NUM_DIGITAL_PINS ? TG_MAX_PINS : NUM_DIGITAL_PINS)

/* ---------------- pins: Firmata numbers are the core's, analog inputs from TG_ANALOG_FIRST ---------------- */

static uint16_t pin_modes[PIN_COUNT];
static uint8_t analog_channel[PIN_COUNT];

/* The core's pin number of a Firmata pin (the Mega's analog inputs sit right after D21, as in the bare build). */
static uint8_t core_pin(uint8_t pin) {
  if (pin < TG_ANALOG_FIRST) return pin;
  return (uint8_t)(A0 + (pin - TG_ANALOG_FIRST));
}

static void describe_pins(void) {
  for (uint8_t p = 0; p < PIN_COUNT; p++) {
    uint16_t modes = PIN_CAP(PIN_MODE_INPUT) | PIN_CAP(PIN_MODE_OUTPUT) | PIN_CAP(PIN_MODE_PULLUP);
    uint8_t pin = core_pin(p);
#if defined(digitalPinHasPWM)
    if (digitalPinHasPWM(pin)) modes |= PIN_CAP(PIN_MODE_PWM);
#endif
    if (pin == SDA || pin == SCL) modes |= PIN_CAP(PIN_MODE_I2C);
    uint8_t channel = NO_ANALOG_CHANNEL;
    if (p >= TG_ANALOG_FIRST && p - TG_ANALOG_FIRST < NUM_ANALOG_INPUTS) {
      channel = (uint8_t)(p - TG_ANALOG_FIRST);
      modes |= PIN_CAP(PIN_MODE_ANALOG);
    }
    if (p <= 1) modes = 0; /* the serial pins carry the link */
    pin_modes[p] = modes;
    analog_channel[p] = channel;
  }
}

static const hal_board_t BOARD = {
    TG_BOARD_ID,
    PIN_COUNT,
    pin_modes,
    analog_channel,
    ADC_BITS,
    8,
    FLASH_BYTES,
    RAM_BYTES,
#ifdef TG_WITH_RUNTIME
    TG_ARENA_BYTES,
#else
    0,
#endif
    RX_BUFFER_BYTES,
};

extern "C" const hal_board_t *hal_board(void) { return &BOARD; }

extern "C" void hal_pin_mode(uint8_t pin, uint8_t mode) {
  if (pin >= PIN_COUNT || pin <= 1) return;
  if (mode == PIN_MODE_OUTPUT || mode == PIN_MODE_PWM) pinMode(core_pin(pin), OUTPUT);
  else if (mode == PIN_MODE_PULLUP) pinMode(core_pin(pin), INPUT_PULLUP);
  else if (mode == PIN_MODE_INPUT || mode == PIN_MODE_ANALOG) pinMode(core_pin(pin), INPUT);
}

extern "C" void hal_digital_write(uint8_t pin, uint8_t value) {
  if (pin < PIN_COUNT && pin > 1) digitalWrite(core_pin(pin), value ? HIGH : LOW);
}

extern "C" uint8_t hal_digital_read(uint8_t pin) {
  return pin < PIN_COUNT && digitalRead(core_pin(pin)) == HIGH ? 1 : 0;
}

extern "C" void hal_pwm_write(uint8_t pin, uint16_t value) {
  if (pin < PIN_COUNT && pin > 1) analogWrite(core_pin(pin), value > 255 ? 255 : value);
}

/* ---------------- clock and sampling ---------------- */

extern "C" uint32_t hal_millis(void) { return millis(); }
extern "C" uint32_t hal_micros(void) { return micros(); }

#if defined(ARDUINO_ARCH_AVR)
/* Once per Timer0 cycle (1.024 ms): every slot due by millis() is taken now. Conversions take ~104 us each,
   so the slot is taken with interrupts on again (Serial's receive and millis() must not wait), guarded
   against re-entry. */
ISR(TIMER0_COMPA_vect) {
  static volatile uint8_t sampling;
  if (sampling) return;
  sampling = 1;
  sei();
  sampler_clock(millis());
  cli();
  sampling = 0;
}

extern "C" uint32_t hal_irq_save(void) {
  uint8_t s = SREG;
  cli();
  return s;
}

extern "C" void hal_irq_restore(uint32_t state) { SREG = (uint8_t)state; }

/* With interrupts off, so the sampler cannot start a conversion inside this one (104 us at most). */
extern "C" uint16_t hal_analog_read(uint8_t channel) {
  if (channel >= NUM_ANALOG_INPUTS) return 0;
  uint8_t s = SREG;
  cli();
  uint16_t v = (uint16_t)analogRead(channel);
  SREG = s;
  return v;
}
#else
/* The loop calls the sampler (TG_SAMPLER_IN_LOOP): nothing to mask. */
extern "C" uint32_t hal_irq_save(void) { return 0; }
extern "C" void hal_irq_restore(uint32_t state) { (void)state; }

extern "C" uint16_t hal_analog_read(uint8_t channel) {
  if (channel >= NUM_ANALOG_INPUTS) return 0;
  return (uint16_t)analogRead(A0 + channel);
}
#endif

extern "C" uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) {
  (void)slot_ms; /* read now: the timer (or the loop) calls at the slot's time */
  return hal_analog_read(channel);
}

/* ---------------- serial link ---------------- */

extern "C" int hal_uart_read(void) { return Serial.read(); }

extern "C" void hal_uart_write(const uint8_t *data, uint16_t len) { Serial.write(data, len); }

/* What the core's transmit ring takes now (63 B on AVR cores): sample slots are written only when they fit. */
extern "C" uint16_t hal_uart_tx_room(void) {
  int room = Serial.availableForWrite();
  return room > 0 ? (uint16_t)room : 0;
}

/* ---------------- I2C master (Wire) ---------------- */

static bool wire_started;

static void wire_begin(void) {
  if (wire_started) return;
  Wire.begin();
#if defined(WIRE_HAS_TIMEOUT)
  Wire.setWireTimeout(25000, true); /* a missing or stuck device must not hang the board */
#endif
  wire_started = true;
}

extern "C" int hal_i2c_write(uint8_t address, const uint8_t *data, uint8_t len, uint8_t send_stop) {
  wire_begin();
  Wire.beginTransmission(address);
  if (Wire.write(data, len) != len) {
    Wire.endTransmission(true);
    return -1;
  }
  return Wire.endTransmission(send_stop != 0) == 0 ? 0 : -1;
}

extern "C" int hal_i2c_read(uint8_t address, uint8_t *data, uint8_t len) {
  if (len == 0) return 0;
  wire_begin();
  if (Wire.requestFrom(address, len) != len) return -1;
  for (uint8_t i = 0; i < len; i++) data[i] = (uint8_t)Wire.read();
  return 0;
}

/* ---------------- model store ---------------- */

#if defined(TG_STORE_EEPROM)
/* The EEPROM, with NOR-flash rules on top (erase = 0xFF, programming only clears bits), as the store expects. */
extern "C" uint32_t hal_store_bytes(void) { return EEPROM.length(); }
extern "C" uint32_t hal_store_page_bytes(void) { return TG_STORE_PAGE_BYTES; }
extern "C" const uint8_t *hal_store_map(void) { return 0; }

extern "C" int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (address > EEPROM.length() || len > EEPROM.length() - address) return -1;
  uint8_t *d = (uint8_t *)data;
  for (uint32_t i = 0; i < len; i++) d[i] = EEPROM.read((int)(address + i));
  return 0;
}

extern "C" int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (address > EEPROM.length() || len > EEPROM.length() - address) return -1;
  const uint8_t *d = (const uint8_t *)data;
  for (uint32_t i = 0; i < len; i++) {
    int at = (int)(address + i);
    EEPROM.update(at, (uint8_t)(EEPROM.read(at) & d[i]));
  }
  return 0;
}

extern "C" int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % TG_STORE_PAGE_BYTES || len % TG_STORE_PAGE_BYTES) return -1;
  if (address > EEPROM.length() || len > EEPROM.length() - address) return -1;
  for (uint32_t i = 0; i < len; i++) EEPROM.update((int)(address + i), 0xFF);
  return 0;
}
#endif

#if defined(TG_STORE_STM32_FLASH)
/*
 * Flash sectors TG_STORE_FIRST_SECTOR on (all TG_STORE_PAGE_BYTES long) through ST's HAL flash driver, which
 * STM32duino builds in (HAL_FLASH_MODULE_ENABLED): HAL_FLASHEx_Erase by sector, HAL_FLASH_Program by byte or
 * word, verified after. The store's A/B records give the power-cut safety; this gives NOR-flash rules. One
 * flash bank: while a 128 KiB sector erases (1-2 s) the CPU stalls on its next flash fetch, interrupts too.
 */
#define STORE ((const volatile uint8_t *)(uintptr_t)TG_STORE_ADDRESS)

/* Where the sketch ends in flash, from STM32duino's linker script: .data's load image is its last part. */
extern "C" char _sidata[], _sdata[], _edata[];

static bool in_store(uint32_t address, uint32_t len) {
  return address <= TG_STORE_BYTES && len <= TG_STORE_BYTES - address;
}

/* The core's linker script gives a sketch all 512 KiB: one that reaches the store's sectors must never have
   them erased under it, so the store then refuses every erase and program. */
static bool sketch_clear_of_store(void) {
  uint32_t end = (uint32_t)(uintptr_t)_sidata + (uint32_t)(_edata - _sdata);
  return end <= TG_STORE_ADDRESS;
}

extern "C" uint32_t hal_store_bytes(void) { return TG_STORE_BYTES; }
extern "C" uint32_t hal_store_page_bytes(void) { return TG_STORE_PAGE_BYTES; }
extern "C" const uint8_t *hal_store_map(void) { return (const uint8_t *)(uintptr_t)TG_STORE_ADDRESS; }

extern "C" int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (!in_store(address, len)) return -1;
  memcpy(data, hal_store_map() + address, len);
  return 0;
}

/* Unlocks the controller and clears flags an earlier operation left (the HAL fails on any it finds set). */
static bool flash_unlock(void) {
  if (HAL_FLASH_Unlock() != HAL_OK) return false;
  __HAL_FLASH_CLEAR_FLAG(FLASH_FLAG_EOP | FLASH_FLAG_OPERR | FLASH_FLAG_WRPERR | FLASH_FLAG_PGAERR |
                         FLASH_FLAG_PGPERR | FLASH_FLAG_PGSERR);
  return true;
}

/* Locks again and drops what the ART accelerator's caches hold of the store's old contents. */
static void flash_lock(void) {
  HAL_FLASH_Lock();
  bool data_cache = (FLASH->ACR & FLASH_ACR_DCEN) != 0;
  bool instruction_cache = (FLASH->ACR & FLASH_ACR_ICEN) != 0;
  __HAL_FLASH_DATA_CACHE_DISABLE();
  __HAL_FLASH_INSTRUCTION_CACHE_DISABLE();
  __HAL_FLASH_DATA_CACHE_RESET();
  __HAL_FLASH_INSTRUCTION_CACHE_RESET();
  if (data_cache) __HAL_FLASH_DATA_CACHE_ENABLE();
  if (instruction_cache) __HAL_FLASH_INSTRUCTION_CACHE_ENABLE();
}

extern "C" int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % TG_STORE_PAGE_BYTES || len % TG_STORE_PAGE_BYTES || !in_store(address, len)) return -1;
  if (!sketch_clear_of_store()) return -1;
  if (len == 0) return 0;
  FLASH_EraseInitTypeDef erase = {};
  erase.TypeErase = FLASH_TYPEERASE_SECTORS;
  erase.Banks = FLASH_BANK_1;
  erase.Sector = TG_STORE_FIRST_SECTOR + address / TG_STORE_PAGE_BYTES;
  erase.NbSectors = len / TG_STORE_PAGE_BYTES;
  erase.VoltageRange = FLASH_VOLTAGE_RANGE_3; /* the Nucleo's 3.3 V: erase 32 bits at a time */
  uint32_t failed_sector = 0;
  if (!flash_unlock()) return -1;
  int rc = HAL_FLASHEx_Erase(&erase, &failed_sector) == HAL_OK ? 0 : -1;
  flash_lock();
  for (uint32_t i = 0; i < len && rc == 0; i += 4) /* whole sectors: word-aligned */
    if (*(const volatile uint32_t *)(uintptr_t)(TG_STORE_ADDRESS + address + i) != 0xFFFFFFFFu) rc = -1;
  return rc;
}

/* Words where all four bytes are still erased, single bytes elsewhere; a byte whose value would not change
   is not programmed again. Only 1 -> 0 transitions are asked of the flash (value = old AND new). */
extern "C" int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (!in_store(address, len) || !sketch_clear_of_store()) return -1;
  const uint8_t *d = (const uint8_t *)data;
  if (!flash_unlock()) return -1;
  int rc = 0;
  for (uint32_t i = 0; i < len && rc == 0;) {
    uint32_t at = address + i;
    if (at % 4 == 0 && len - i >= 4 && *(const volatile uint32_t *)(uintptr_t)(TG_STORE_ADDRESS + at) == 0xFFFFFFFFu) {
      uint32_t word = (uint32_t)d[i] | ((uint32_t)d[i + 1] << 8) | ((uint32_t)d[i + 2] << 16) | ((uint32_t)d[i + 3] << 24);
      if (word != 0xFFFFFFFFu && HAL_FLASH_Program(FLASH_TYPEPROGRAM_WORD, TG_STORE_ADDRESS + at, word) != HAL_OK) rc = -1;
      i += 4;
      continue;
    }
    uint8_t want = (uint8_t)(STORE[at] & d[i]);
    if (want != STORE[at] && HAL_FLASH_Program(FLASH_TYPEPROGRAM_BYTE, TG_STORE_ADDRESS + at, want) != HAL_OK) rc = -1;
    i++;
  }
  flash_lock();
  /* Every bit the data clears must now be clear. */
  for (uint32_t i = 0; i < len && rc == 0; i++)
    if (STORE[address + i] & (uint8_t)~d[i]) rc = -1;
  return rc;
}
#endif
/* TG_STORE_RAM_ARRAY: hal_store_* come from ram_store.c (a RAM slot the gateway re-flashes after a reset). */

/* ---------------- start-up and loop ---------------- */

namespace tinygate {

void begin() {
  Serial.begin(BAUD_RATE);
  describe_pins();
#if !defined(ARDUINO_ARCH_AVR)
  analogReadResolution(ADC_BITS);
#endif
#if defined(TG_STORE_RAM_ARRAY)
  ram_store_init();
#endif
  bridge_init();
#if defined(ARDUINO_ARCH_AVR)
  /* Timer0 runs the core's millis(); its compare-A interrupt, unused by the core, paces the samples. */
  OCR0A = 0x80;
  TIMSK0 |= _BV(OCIE0A);
#endif
}

void poll() { bridge_poll(); }

}  // namespace tinygate
