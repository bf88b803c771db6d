#include "firmata.h"

#include <string.h>

#include "hal.h"
#include "sampler.h"
#include "slot_sender.h"
#include "tg_config.h"
#include "tinygate_link.h"

/* Command bytes (Firmata protocol 2.5). */
#define DIGITAL_MESSAGE 0x90
#define ANALOG_MESSAGE 0xE0
#define REPORT_ANALOG 0xC0
#define REPORT_DIGITAL 0xD0
#define SET_PIN_MODE 0xF4
#define SET_DIGITAL_PIN_VALUE 0xF5
#define REPORT_VERSION 0xF9
#define SYSTEM_RESET 0xFF
/* SysEx commands. */
#define ANALOG_MAPPING_QUERY 0x69
#define ANALOG_MAPPING_RESPONSE 0x6A
#define CAPABILITY_QUERY 0x6B
#define CAPABILITY_RESPONSE 0x6C
#define PIN_STATE_QUERY 0x6D
#define PIN_STATE_RESPONSE 0x6E
#define EXTENDED_ANALOG 0x6F
#define SERVO_CONFIG 0x70
#define STRING_DATA 0x71
#define I2C_REQUEST 0x76
#define I2C_REPLY 0x77
#define I2C_CONFIG 0x78
#define REPORT_FIRMWARE 0x79
#define SAMPLING_INTERVAL 0x7A

#define I2C_MODE_MASK 0x18
#define I2C_WRITE 0x00
#define I2C_READ_ONCE 0x08
#define I2C_READ_CONTINUOUSLY 0x10
#define I2C_STOP_READING 0x18
#define I2C_10BIT_ADDRESS 0x20
#define I2C_RESTART_TX 0x40
#define I2C_NO_REGISTER (-1)
/* An I2C reply on the wire: F0 77, address and register as two 7-bit bytes each, two per data byte, F7. */
#define I2C_REPLY_BYTES(n) (7u + 2u * (n))

#define TG_STRING_(x) #x
#define TG_STRING(x) TG_STRING_(x)
#define MIN_SAMPLING_INTERVAL 1
#define DEFAULT_SAMPLING_INTERVAL 19
#define PORTS ((TG_MAX_PINS + 7) / 8)

static const char FIRMWARE_NAME[] = "tinygate-bridge";

/* Pin state. */
static uint8_t pin_mode[TG_MAX_PINS];
static uint16_t pin_state[TG_MAX_PINS];
static uint16_t analog_report; /* bit per ADC channel */
static uint8_t port_report[PORTS];
static uint8_t port_last[PORTS];
/* Continuous I2C reads. */
typedef struct {
  uint8_t address;
  uint8_t bytes;
  uint8_t stop;
  int16_t reg;
} i2c_query_t;
static i2c_query_t i2c_queries[TG_I2C_MAX_QUERIES];
static uint8_t i2c_query_count;
static uint8_t i2c_enabled;

/* Parser. */
static uint8_t sysex[TG_SYSEX_BUFFER_BYTES];
static uint16_t sysex_len;
static uint8_t in_sysex, sysex_overflow;
static uint8_t midi_command, midi_need, midi_have, midi_data[2];

/* Output buffer: one message is collected and written at once. */
static uint8_t tx[64];
static uint8_t tx_len;

static void tx_byte(uint8_t b) {
  if (tx_len == sizeof tx) {
    hal_uart_write(tx, tx_len);
    tx_len = 0;
  }
  tx[tx_len++] = b;
}

static void tx_flush(void) {
  if (tx_len) hal_uart_write(tx, tx_len);
  tx_len = 0;
}

void firmata_sysex_begin(uint8_t command) {
  tx_byte(START_SYSEX);
  tx_byte(command);
}

void firmata_sysex_byte(uint8_t byte7) { tx_byte(byte7 & 0x7F); }

void firmata_sysex_end(void) {
  tx_byte(END_SYSEX);
  tx_flush();
}

void firmata_send_sysex(uint8_t command, const uint8_t *data7, uint16_t len) {
  firmata_sysex_begin(command);
  for (uint16_t i = 0; i < len; i++) firmata_sysex_byte(data7[i]);
  firmata_sysex_end();
}

/* Two 7-bit bytes per value: LSB then MSB, as Firmata sends 8- and 14-bit values. */
static void sysex_value14(uint16_t v) {
  firmata_sysex_byte((uint8_t)(v & 0x7F));
  firmata_sysex_byte((uint8_t)((v >> 7) & 0x7F));
}

void firmata_send_string(const char *text) {
  firmata_sysex_begin(STRING_DATA);
  while (*text) sysex_value14((uint8_t)*text++);
  firmata_sysex_end();
}

static const hal_board_t *board(void) { return hal_board(); }

static uint8_t pin_supports(uint8_t pin, uint8_t mode) {
  return pin < board()->pin_count && pin < TG_MAX_PINS && (board()->pin_modes[pin] & PIN_CAP(mode));
}

static void send_version(void) {
  uint8_t v[3] = {REPORT_VERSION, FIRMATA_PROTOCOL_MAJOR, FIRMATA_PROTOCOL_MINOR};
  hal_uart_write(v, sizeof v);
}

static void send_firmware(void) {
  firmata_sysex_begin(REPORT_FIRMWARE);
  firmata_sysex_byte(TG_FIRMWARE_MAJOR);
  firmata_sysex_byte(TG_FIRMWARE_MINOR);
  for (const char *c = FIRMWARE_NAME; *c; c++) sysex_value14((uint8_t)*c);
  firmata_sysex_end();
}

static void send_analog(uint8_t channel, uint16_t value) {
  if (channel < 16) {
    uint8_t m[3] = {(uint8_t)(ANALOG_MESSAGE | channel), (uint8_t)(value & 0x7F), (uint8_t)((value >> 7) & 0x7F)};
    hal_uart_write(m, sizeof m);
  } else {
    /* Channels past 15 need the extended form. */
    firmata_sysex_begin(EXTENDED_ANALOG);
    firmata_sysex_byte(channel);
    sysex_value14(value);
    firmata_sysex_end();
  }
}

static uint8_t read_port(uint8_t port) {
  uint8_t value = 0;
  for (uint8_t bit = 0; bit < 8; bit++) {
    uint8_t pin = (uint8_t)(port * 8 + bit);
    if (pin >= board()->pin_count || pin >= TG_MAX_PINS) break;
    if (pin_mode[pin] == PIN_MODE_INPUT || pin_mode[pin] == PIN_MODE_PULLUP) {
      if (hal_digital_read(pin)) value |= (uint8_t)(1u << bit);
    }
  }
  return value;
}

static void send_port(uint8_t port, uint8_t value) {
  uint8_t m[3] = {(uint8_t)(DIGITAL_MESSAGE | (port & 0x0F)), (uint8_t)(value & 0x7F), (uint8_t)(value >> 7)};
  hal_uart_write(m, sizeof m);
}

static uint8_t channel_of(uint8_t pin) {
  return pin < board()->pin_count ? board()->analog_channel[pin] : NO_ANALOG_CHANNEL;
}

static void report_analog(uint8_t channel, uint8_t enable) {
  if (channel >= 16) return;
  if (enable) {
    uint8_t on = 0;
    for (uint16_t m = analog_report | (uint16_t)(1u << channel); m; m &= (uint16_t)(m - 1)) on++;
    if (on > TG_SAMPLE_CHANNELS) {
      firmata_send_string("analog reporting: this build samples at most " TG_STRING(TG_SAMPLE_CHANNELS) " channels");
      return;
    }
    if (!analog_report && !i2c_query_count) slot_sender_restart(); /* a new stream: no gap before its first slot */
    analog_report |= (uint16_t)(1u << channel);
    send_analog(channel, hal_analog_read(channel)); /* answer at once, as StandardFirmata does */
  } else {
    analog_report &= (uint16_t)~(1u << channel);
  }
  sampler_set_channels(analog_report);
}

static void set_pin_mode(uint8_t pin, uint8_t mode, uint8_t quiet) {
  if (pin >= board()->pin_count || pin >= TG_MAX_PINS) return;
  if (mode == PIN_MODE_IGNORE) {
    pin_mode[pin] = mode;
    return;
  }
  if (!pin_supports(pin, mode)) {
    if (!quiet) firmata_send_string("Unknown pin mode");
    return;
  }
  uint8_t channel = channel_of(pin);
  /* Entering analog mode starts reporting its channel; leaving it stops. */
  if (channel != NO_ANALOG_CHANNEL) {
    if (mode == PIN_MODE_ANALOG) {
      if (!quiet) report_analog(channel, 1);
    } else {
      report_analog(channel, 0);
    }
  }
  if (mode == PIN_MODE_I2C) i2c_enabled = 1;
  pin_mode[pin] = mode;
  pin_state[pin] = 0;
  hal_pin_mode(pin, mode);
}

static void system_reset(void) {
  analog_report = 0;
  memset(port_report, 0, sizeof port_report);
  memset(port_last, 0, sizeof port_last);
  i2c_query_count = 0;
  i2c_enabled = 0;
  sampler_reset(hal_millis());
  sampler_set_interval(DEFAULT_SAMPLING_INTERVAL);
  slot_sender_restart();
  for (uint8_t pin = 0; pin < board()->pin_count && pin < TG_MAX_PINS; pin++) {
    if (channel_of(pin) != NO_ANALOG_CHANNEL) set_pin_mode(pin, PIN_MODE_ANALOG, 1);
    else if (pin_supports(pin, PIN_MODE_OUTPUT)) set_pin_mode(pin, PIN_MODE_OUTPUT, 1);
    else pin_mode[pin] = PIN_MODE_IGNORE;
  }
  in_sysex = 0;
  midi_need = 0;
}

/* ---- MIDI-style messages ---- */

static void digital_port_write(uint8_t port, uint8_t value) {
  for (uint8_t bit = 0; bit < 8; bit++) {
    uint8_t pin = (uint8_t)(port * 8 + bit);
    if (pin >= board()->pin_count || pin >= TG_MAX_PINS) break;
    uint8_t high = (value >> bit) & 1;
    if (pin_mode[pin] == PIN_MODE_OUTPUT) {
      pin_state[pin] = high;
      hal_digital_write(pin, high);
    } else if (pin_mode[pin] == PIN_MODE_INPUT && high && pin_supports(pin, PIN_MODE_PULLUP)) {
      set_pin_mode(pin, PIN_MODE_PULLUP, 1); /* legacy: writing 1 to an input enables its pull-up */
      pin_state[pin] = 1;
    }
  }
}

static void handle_midi(uint8_t command, uint8_t lo, uint8_t hi) {
  uint8_t family = command < 0xF0 ? (uint8_t)(command & 0xF0) : command;
  uint8_t low = command & 0x0F;
  uint16_t value14 = (uint16_t)(lo | ((uint16_t)hi << 7));
  switch (family) {
    case ANALOG_MESSAGE:
      if (low < board()->pin_count && pin_mode[low] == PIN_MODE_PWM) {
        pin_state[low] = value14;
        hal_pwm_write(low, value14);
      }
      break;
    case DIGITAL_MESSAGE:
      digital_port_write(low, (uint8_t)value14);
      break;
    case REPORT_ANALOG:
      report_analog(low, lo != 0);
      break;
    case REPORT_DIGITAL:
      if (low < PORTS) {
        port_report[low] = lo != 0;
        if (lo) {
          port_last[low] = read_port(low);
          send_port(low, port_last[low]);
        }
      }
      break;
    case SET_PIN_MODE:
      set_pin_mode(lo, hi, 0);
      break;
    case SET_DIGITAL_PIN_VALUE:
      if (lo < board()->pin_count && lo < TG_MAX_PINS && pin_mode[lo] == PIN_MODE_OUTPUT) {
        pin_state[lo] = hi ? 1 : 0;
        hal_digital_write(lo, hi ? 1 : 0);
      }
      break;
    default:
      break;
  }
}

/* ---- SysEx commands ---- */

static void firmware_query(const uint8_t *d, uint16_t n) {
  (void)d;
  (void)n;
  send_firmware();
}

static void capability_query(const uint8_t *d, uint16_t n) {
  (void)d;
  (void)n;
  firmata_sysex_begin(CAPABILITY_RESPONSE);
  for (uint8_t pin = 0; pin < board()->pin_count && pin < TG_MAX_PINS; pin++) {
    uint16_t modes = board()->pin_modes[pin];
    for (uint8_t mode = 0; mode < 16; mode++) {
      if (!(modes & PIN_CAP(mode))) continue;
      uint8_t resolution = 1;
      if (mode == PIN_MODE_ANALOG) resolution = board()->adc_bits;
      else if (mode == PIN_MODE_PWM) resolution = board()->pwm_bits;
      else if (mode == PIN_MODE_SERVO) resolution = 14;
      firmata_sysex_byte(mode);
      firmata_sysex_byte(resolution);
    }
    firmata_sysex_byte(0x7F);
  }
  firmata_sysex_end();
}

static void analog_mapping_query(const uint8_t *d, uint16_t n) {
  (void)d;
  (void)n;
  firmata_sysex_begin(ANALOG_MAPPING_RESPONSE);
  for (uint8_t pin = 0; pin < board()->pin_count && pin < TG_MAX_PINS; pin++) firmata_sysex_byte(channel_of(pin));
  firmata_sysex_end();
}

static void pin_state_query(const uint8_t *d, uint16_t n) {
  if (n < 1 || d[0] >= board()->pin_count || d[0] >= TG_MAX_PINS) return;
  uint8_t pin = d[0];
  uint16_t state = pin_state[pin];
  if (pin_mode[pin] == PIN_MODE_INPUT || pin_mode[pin] == PIN_MODE_PULLUP) state = hal_digital_read(pin);
  firmata_sysex_begin(PIN_STATE_RESPONSE);
  firmata_sysex_byte(pin);
  firmata_sysex_byte(pin_mode[pin]);
  firmata_sysex_byte((uint8_t)(state & 0x7F));
  if (state > 0x7F) firmata_sysex_byte((uint8_t)((state >> 7) & 0x7F));
  firmata_sysex_end();
}

static void sampling_interval_set(const uint8_t *d, uint16_t n) {
  if (n < 2) return;
  uint16_t v = (uint16_t)(d[0] | ((uint16_t)d[1] << 7));
  sampler_set_interval(v < MIN_SAMPLING_INTERVAL ? MIN_SAMPLING_INTERVAL : v);
}

static void extended_analog(const uint8_t *d, uint16_t n) {
  if (n < 2 || d[0] >= board()->pin_count || pin_mode[d[0]] != PIN_MODE_PWM) return;
  uint16_t value = 0;
  for (uint16_t i = 1; i < n && i < 4; i++) value |= (uint16_t)(d[i] << (7 * (i - 1)));
  pin_state[d[0]] = value;
  hal_pwm_write(d[0], value);
}

static void servo_config(const uint8_t *d, uint16_t n) {
  if (n < 1 || !pin_supports(d[0], PIN_MODE_SERVO)) return;
  set_pin_mode(d[0], PIN_MODE_SERVO, 0);
}

static void ignore_sysex(const uint8_t *d, uint16_t n) {
  (void)d;
  (void)n;
}

static void i2c_read_and_report(uint8_t address, int16_t reg, uint8_t count, uint8_t stop) {
  uint8_t data[TG_I2C_MAX_BYTES];
  if (count > TG_I2C_MAX_BYTES) {
    firmata_send_string("I2C: Too many bytes requested");
    return;
  }
  if (reg != I2C_NO_REGISTER) {
    uint8_t r = (uint8_t)reg;
    if (hal_i2c_write(address, &r, 1, stop) != 0) {
      firmata_send_string("I2C: device did not answer");
      return;
    }
  }
  if (hal_i2c_read(address, data, count) != 0) {
    firmata_send_string("I2C: device did not answer");
    return;
  }
  uint16_t reported = reg == I2C_NO_REGISTER ? 0 : (uint16_t)reg;
  firmata_sysex_begin(I2C_REPLY);
  sysex_value14(address);
  sysex_value14(reported);
  for (uint8_t i = 0; i < count; i++) sysex_value14(data[i]);
  firmata_sysex_end();
}

/* The continuous I2C reads, once per sample slot. */
static void read_queries(void) {
  for (uint8_t i = 0; i < i2c_query_count; i++)
    i2c_read_and_report(i2c_queries[i].address, i2c_queries[i].reg, i2c_queries[i].bytes, i2c_queries[i].stop);
}

static void i2c_request(const uint8_t *d, uint16_t n) {
  if (n < 2) return;
  if (d[1] & I2C_10BIT_ADDRESS) {
    firmata_send_string("I2C: 10-bit addresses not supported");
    return;
  }
  uint8_t address = d[0];
  uint8_t mode = d[1] & I2C_MODE_MASK;
  uint8_t stop = (d[1] & I2C_RESTART_TX) ? 0 : 1;
  uint8_t bytes[TG_I2C_MAX_BYTES];
  uint16_t count = 0;
  for (uint16_t i = 2; i + 1 < n && count < sizeof bytes; i += 2)
    bytes[count++] = (uint8_t)(d[i] | (d[i + 1] << 7));

  switch (mode) {
    case I2C_WRITE:
      if (hal_i2c_write(address, bytes, (uint8_t)count, 1) != 0) firmata_send_string("I2C: device did not answer");
      break;
    case I2C_READ_ONCE:
    case I2C_READ_CONTINUOUSLY: {
      /* Two data values: register then byte count; one value: byte count only. */
      int16_t reg = I2C_NO_REGISTER;
      uint16_t want = 0;
      if (n >= 6) {
        reg = (int16_t)(d[2] | (d[3] << 7));
        want = (uint16_t)(d[4] | (d[5] << 7));
      } else if (n >= 4) {
        want = (uint16_t)(d[2] | (d[3] << 7));
      }
      if (want > 0xFF) want = 0xFF;
      if (mode == I2C_READ_ONCE) {
        i2c_read_and_report(address, reg, (uint8_t)want, stop);
      } else if (i2c_query_count < TG_I2C_MAX_QUERIES) {
        if (!analog_report && !i2c_query_count) slot_sender_restart();
        i2c_query_t *q = &i2c_queries[i2c_query_count++];
        q->address = address;
        q->reg = reg;
        q->bytes = (uint8_t)want;
        q->stop = stop;
        sampler_set_paced(1);
      } else {
        firmata_send_string("too many queries");
      }
      break;
    }
    case I2C_STOP_READING: {
      uint8_t kept = 0;
      for (uint8_t i = 0; i < i2c_query_count; i++)
        if (i2c_queries[i].address != address) i2c_queries[kept++] = i2c_queries[i];
      i2c_query_count = kept;
      sampler_set_paced(i2c_query_count > 0);
      break;
    }
    default:
      break;
  }
}

static void i2c_config(const uint8_t *d, uint16_t n) {
  (void)d;
  (void)n;
  i2c_enabled = 1; /* the read delay is not needed: HAL reads block until the device answers */
}

typedef void (*sysex_handler_t)(const uint8_t *data, uint16_t len);

/* Adding a SysEx command is one entry here; data excludes the command byte. */
static const struct {
  uint8_t command;
  sysex_handler_t handle;
} SYSEX_COMMANDS[] = {
    {REPORT_FIRMWARE, firmware_query},
    {CAPABILITY_QUERY, capability_query},
    {ANALOG_MAPPING_QUERY, analog_mapping_query},
    {PIN_STATE_QUERY, pin_state_query},
    {SAMPLING_INTERVAL, sampling_interval_set},
    {EXTENDED_ANALOG, extended_analog},
    {SERVO_CONFIG, servo_config},
    {STRING_DATA, ignore_sysex},
    {I2C_REQUEST, i2c_request},
    {I2C_CONFIG, i2c_config},
    {TG_SYSEX_ID, tinygate_sysex},
};

static void dispatch_sysex(void) {
  for (uint8_t i = 0; i < sizeof SYSEX_COMMANDS / sizeof SYSEX_COMMANDS[0]; i++) {
    if (SYSEX_COMMANDS[i].command == sysex[0]) {
      SYSEX_COMMANDS[i].handle(sysex + 1, (uint16_t)(sysex_len - 1));
      return;
    }
  }
}

void firmata_receive(uint8_t b) {
  if (in_sysex) {
    if (b == END_SYSEX) {
      in_sysex = 0;
      if (!sysex_overflow && sysex_len > 0) dispatch_sysex();
    } else if (b == START_SYSEX) {
      sysex_len = 0; /* a lost END_SYSEX: start over with the new message */
      sysex_overflow = 0;
    } else if (sysex_len < sizeof sysex) {
      sysex[sysex_len++] = b; /* StandardFirmata keeps bytes >= 0x80 too (I2C config sends them) */
    } else {
      sysex_overflow = 1;
    }
    return;
  }
  if (b & 0x80) {
    midi_need = 0;
    midi_have = 0;
    if (b == START_SYSEX) {
      in_sysex = 1;
      sysex_len = 0;
      sysex_overflow = 0;
    } else if (b == REPORT_VERSION) {
      send_version();
    } else if (b == SYSTEM_RESET) {
      system_reset();
    } else {
      uint8_t family = b < 0xF0 ? (uint8_t)(b & 0xF0) : b;
      if (family == ANALOG_MESSAGE || family == DIGITAL_MESSAGE || family == REPORT_ANALOG ||
          family == REPORT_DIGITAL || family == SET_PIN_MODE || family == SET_DIGITAL_PIN_VALUE) {
        midi_command = b;
        /* Report toggles carry one data byte; the other channel messages two. */
        midi_need = (family == REPORT_ANALOG || family == REPORT_DIGITAL) ? 1 : 2;
      }
    }
    return;
  }
  if (midi_need) {
    midi_data[midi_have++] = b;
    if (midi_have == midi_need) {
      midi_need = 0;
      handle_midi(midi_command, midi_data[0], midi_data[1]);
    }
  }
}

void firmata_poll(void) {
  for (uint8_t port = 0; port < PORTS; port++) {
    if (!port_report[port]) continue;
    uint8_t value = read_port(port);
    if (value != port_last[port]) {
      port_last[port] = value;
      send_port(port, value);
    }
  }
#ifdef TG_SAMPLER_IN_LOOP
  sampler_clock(hal_millis());
#endif
  /* Send the slots the clock took, each behind its mark, as far as the link takes them without blocking. */
  uint16_t i2c_bytes = 0;
  for (uint8_t i = 0; i < i2c_query_count; i++) i2c_bytes = (uint16_t)(i2c_bytes + I2C_REPLY_BYTES(i2c_queries[i].bytes));
  slot_sender_poll(hal_millis(), i2c_bytes, i2c_query_count ? read_queries : 0);
}

void firmata_init(void) {
  system_reset();
  send_version();
  send_firmware();
}
