/*
 * Arduino HAL for the ATmega328P (Uno, -DTG_BOARD_UNO) and ATmega2560 (Mega, -DTG_BOARD_MEGA2560),
 * on the bare registers (no Arduino core): USART0 at 115200 with an interrupt-fed RX ring, Timer0
 * as the millisecond clock, the ADC against AVcc, TWI as I2C master, the EEPROM as model store.
 * Pin numbers are Arduino's; the register tables below map them.
 */
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <util/twi.h>

#include "hal.h"
#include "sampler.h"
#include "tg_config.h"

#define BAUD_RATE 115200UL

/* ---------------- pins ---------------- */

typedef struct {
  volatile uint8_t *ddr, *port, *pin;
  uint8_t bit;
} pin_reg_t;

#define P(letter, n) {&DDR##letter, &PORT##letter, &PIN##letter, n}
#define IO PIN_CAP(PIN_MODE_INPUT) | PIN_CAP(PIN_MODE_OUTPUT) | PIN_CAP(PIN_MODE_PULLUP)
#define AN IO | PIN_CAP(PIN_MODE_ANALOG)
#define PW IO | PIN_CAP(PIN_MODE_PWM)
#define TW AN | PIN_CAP(PIN_MODE_I2C)
#define SER 0 /* the serial pins carry the link: no modes */
#define NA NO_ANALOG_CHANNEL

#if defined(TG_BOARD_UNO)
/* D0-D13 then A0-A5 (pins 14-19). PWM on 3 and 11 (Timer2), 9 and 10 (Timer1); Timer0 is the clock. */
static const pin_reg_t PINS[] = {P(D, 0), P(D, 1), P(D, 2), P(D, 3), P(D, 4), P(D, 5), P(D, 6),
                                 P(D, 7), P(B, 0), P(B, 1), P(B, 2), P(B, 3), P(B, 4), P(B, 5),
                                 P(C, 0), P(C, 1), P(C, 2), P(C, 3), P(C, 4), P(C, 5)};
static const uint16_t MODES[] = {SER, SER, IO, PW, IO, IO, IO, IO, IO, PW, PW, PW, IO, IO, AN, AN, AN, AN, TW, TW};
static const uint8_t CHANNEL[] = {NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, 0, 1, 2, 3, 4, 5};
#define BOARD_ID "arduino-uno"
#define FLASH_BYTES 32768UL
#define RAM_BYTES 2048UL
#define EEPROM_BYTES 1024UL
#define ANALOG_FIRST 14
#elif defined(TG_BOARD_MEGA2560)
/* D0-D21 (serial, PWM 2-13, I2C on 20/21) then A0-A15 as pins 54-69; D22-D53 are left out to save RAM. */
static const pin_reg_t PINS[] = {
    P(E, 0), P(E, 1), P(E, 4), P(E, 5), P(G, 5), P(E, 3), P(H, 3), P(H, 4), P(H, 5), P(H, 6), P(B, 4),
    P(B, 5), P(B, 6), P(B, 7), P(J, 1), P(J, 0), P(H, 1), P(H, 0), P(D, 3), P(D, 2), P(D, 1), P(D, 0),
    P(F, 0), P(F, 1), P(F, 2), P(F, 3), P(F, 4), P(F, 5), P(F, 6), P(F, 7), P(K, 0), P(K, 1), P(K, 2),
    P(K, 3), P(K, 4), P(K, 5), P(K, 6), P(K, 7)};
static const uint16_t MODES[] = {SER, SER, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO, IO,
                                 IO, IO, IO | PIN_CAP(PIN_MODE_I2C), IO | PIN_CAP(PIN_MODE_I2C), AN, AN, AN,
                                 AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN};
static const uint8_t CHANNEL[] = {NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
                                  NA, NA, NA, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15};
#define BOARD_ID "arduino-mega2560"
#define FLASH_BYTES 262144UL
#define RAM_BYTES 8192UL
#define EEPROM_BYTES 4096UL
#define ANALOG_FIRST 22
#else
#error "define TG_BOARD_UNO or TG_BOARD_MEGA2560"
#endif

#define PIN_COUNT (sizeof PINS / sizeof PINS[0])

static const hal_board_t BOARD = {
    .board_id = BOARD_ID,
    .pin_count = PIN_COUNT,
    .pin_modes = MODES,
    .analog_channel = CHANNEL,
    .adc_bits = 10,
    .pwm_bits = 8,
    .flash_bytes = FLASH_BYTES,
    .ram_bytes = RAM_BYTES,
#ifdef TG_WITH_RUNTIME
    .arena_bytes = TG_ARENA_BYTES, /* the Mega runs small models */
#else
    .arena_bytes = 0, /* the Uno has no room for the runtime */
#endif
    .rx_buffer_bytes = TG_RX_BUFFER_BYTES,
};

const hal_board_t *hal_board(void) { return &BOARD; }

/* ---------------- clock: Timer0 compare match every 1 ms ---------------- */

static volatile uint32_t millis_count;

/* The millisecond tick is also the sampler's clock. Conversions take ~104 us each, so the slot is taken with
   interrupts on again (the UART's receive interrupt must not wait for them), guarded against re-entry. */
ISR(TIMER0_COMPA_vect) {
  static volatile uint8_t sampling;
  uint32_t now = ++millis_count;
  if (sampling) return;
  sampling = 1;
  sei();
  sampler_clock(now);
  cli();
  sampling = 0;
}

uint32_t hal_irq_save(void) {
  uint8_t s = SREG;
  cli();
  return s;
}

void hal_irq_restore(uint32_t state) { SREG = (uint8_t)state; }

uint32_t hal_millis(void) {
  uint8_t s = SREG;
  cli();
  uint32_t m = millis_count;
  SREG = s;
  return m;
}

uint32_t hal_micros(void) {
  uint8_t s = SREG;
  cli();
  uint32_t m = millis_count;
  uint8_t t = TCNT0;
  if ((TIFR0 & _BV(OCF0A)) && t < 249) m++; /* a tick pending while interrupts were off */
  SREG = s;
  return m * 1000UL + (uint32_t)t * 4UL; /* 250 counts of 4 us each */
}

/* ---------------- UART ---------------- */

static volatile uint8_t rx_ring[TG_RX_BUFFER_BYTES];
static volatile uint8_t rx_head, rx_tail; /* buffer sizes up to 256 */

#if defined(USART0_RX_vect)
ISR(USART0_RX_vect)
#else
ISR(USART_RX_vect)
#endif
{
  uint8_t b = UDR0;
  uint8_t next = (uint8_t)((rx_head + 1) % TG_RX_BUFFER_BYTES);
  if (next != rx_tail) { /* a full ring drops the byte; the link's CRC and retransmit recover it */
    rx_ring[rx_head] = b;
    rx_head = next;
  }
}

int hal_uart_read(void) {
  if (rx_head == rx_tail) return -1;
  uint8_t b = rx_ring[rx_tail];
  rx_tail = (uint8_t)((rx_tail + 1) % TG_RX_BUFFER_BYTES);
  return b;
}

/* No transmit ring: every write waits for UDR0, sample slots included (the timer keeps taking them). */
uint16_t hal_uart_tx_room(void) { return HAL_UART_TX_ROOM_ANY; }

void hal_uart_write(const uint8_t *data, uint16_t len) {
  for (uint16_t i = 0; i < len; i++) {
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    UDR0 = data[i];
  }
}

/* ---------------- pins ---------------- */

void hal_pin_mode(uint8_t pin, uint8_t mode) {
  if (pin >= PIN_COUNT) return;
  const pin_reg_t *p = &PINS[pin];
  uint8_t m = _BV(p->bit);
  uint8_t s = SREG;
  cli();
  if (mode == PIN_MODE_OUTPUT || mode == PIN_MODE_PWM) {
    *p->ddr |= m;
  } else {
    *p->ddr &= (uint8_t)~m;
    if (mode == PIN_MODE_PULLUP) *p->port |= m;
    else *p->port &= (uint8_t)~m;
  }
  SREG = s;
}

void hal_digital_write(uint8_t pin, uint8_t value) {
  if (pin >= PIN_COUNT) return;
  const pin_reg_t *p = &PINS[pin];
  uint8_t s = SREG;
  cli();
  if (value) *p->port |= _BV(p->bit);
  else *p->port &= (uint8_t)~_BV(p->bit);
  SREG = s;
}

uint8_t hal_digital_read(uint8_t pin) {
  if (pin >= PIN_COUNT) return 0;
  return (*PINS[pin].pin & _BV(PINS[pin].bit)) ? 1 : 0;
}

void hal_pwm_write(uint8_t pin, uint16_t value) {
  uint8_t duty = value > 255 ? 255 : (uint8_t)value;
#if defined(TG_BOARD_UNO)
  switch (pin) {
    case 3: TCCR2A |= _BV(COM2B1); OCR2B = duty; break;
    case 11: TCCR2A |= _BV(COM2A1); OCR2A = duty; break;
    case 9: TCCR1A |= _BV(COM1A1); OCR1A = duty; break;
    case 10: TCCR1A |= _BV(COM1B1); OCR1B = duty; break;
    default: hal_digital_write(pin, duty >= 128); break;
  }
#else
  hal_digital_write(pin, duty >= 128); /* Mega PWM timers are not mapped yet: on/off at half scale */
#endif
}

/* Called from the tick: now is the slot's time. */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) {
  (void)slot_ms;
  return hal_analog_read(channel);
}

/* With the millisecond tick masked, so the sampler cannot start a conversion inside this one; its flag stays
   pending and it runs when the conversion ends (~104 us, far under its 1 ms period). The UART's receive
   interrupt stays on: at any baud rate it never waits for a conversion. */
uint16_t hal_analog_read(uint8_t channel) {
#if defined(MUX5)
  if (channel > 15) return 0;
#else
  if (channel > 7) return 0;
#endif
  uint8_t tick = TIMSK0;
  uint16_t v;
  TIMSK0 = (uint8_t)(tick & ~_BV(OCIE0A));
#if defined(MUX5)
  ADCSRB = (uint8_t)((ADCSRB & ~_BV(MUX5)) | ((channel & 8) ? _BV(MUX5) : 0));
#endif
  ADMUX = (uint8_t)(_BV(REFS0) | (channel & 7)); /* AVcc reference */
  ADCSRA |= _BV(ADSC);
  while (ADCSRA & _BV(ADSC)) {
  }
  v = ADC;
  TIMSK0 = tick;
  return v;
}

/* ---------------- I2C (TWI master, 100 kHz) ---------------- */

#define TWI_SPIN_LIMIT 20000u /* ~ a few ms: a missing or stuck device must not hang the board */

static int twi_wait(void) {
  for (uint16_t n = 0; n < TWI_SPIN_LIMIT; n++)
    if (TWCR & _BV(TWINT)) return 0;
  return -1;
}

static int twi_start(uint8_t address_rw) {
  TWCR = _BV(TWINT) | _BV(TWSTA) | _BV(TWEN);
  if (twi_wait() < 0 || (TW_STATUS != TW_START && TW_STATUS != TW_REP_START)) return -1;
  TWDR = address_rw;
  TWCR = _BV(TWINT) | _BV(TWEN);
  if (twi_wait() < 0) return -1;
  return (TW_STATUS == TW_MT_SLA_ACK || TW_STATUS == TW_MR_SLA_ACK) ? 0 : -1;
}

static void twi_stop(void) { TWCR = _BV(TWINT) | _BV(TWSTO) | _BV(TWEN); }

int hal_i2c_write(uint8_t address, const uint8_t *data, uint8_t len, uint8_t send_stop) {
  if (twi_start((uint8_t)(address << 1)) < 0) {
    twi_stop();
    return -1;
  }
  for (uint8_t i = 0; i < len; i++) {
    TWDR = data[i];
    TWCR = _BV(TWINT) | _BV(TWEN);
    if (twi_wait() < 0 || TW_STATUS != TW_MT_DATA_ACK) {
      twi_stop();
      return -1;
    }
  }
  if (send_stop) twi_stop();
  return 0;
}

int hal_i2c_read(uint8_t address, uint8_t *data, uint8_t len) {
  if (len == 0) return 0;
  if (twi_start((uint8_t)((address << 1) | 1)) < 0) {
    twi_stop();
    return -1;
  }
  for (uint8_t i = 0; i < len; i++) {
    TWCR = (uint8_t)(_BV(TWINT) | _BV(TWEN) | (i + 1 < len ? _BV(TWEA) : 0)); /* NACK the last byte */
    if (twi_wait() < 0) {
      twi_stop();
      return -1;
    }
    data[i] = TWDR;
  }
  twi_stop();
  return 0;
}

/* ---------------- model store: the EEPROM, with NOR-flash rules on top ---------------- */

uint32_t hal_store_bytes(void) { return EEPROM_BYTES; }
uint32_t hal_store_page_bytes(void) { return TG_STORE_PAGE_BYTES; }
const uint8_t *hal_store_map(void) { return 0; }

int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (address > EEPROM_BYTES || len > EEPROM_BYTES - address) return -1;
  eeprom_read_block(data, (const void *)(uintptr_t)address, (size_t)len);
  return 0;
}

int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (address > EEPROM_BYTES || len > EEPROM_BYTES - address) return -1;
  const uint8_t *d = (const uint8_t *)data;
  for (uint32_t i = 0; i < len; i++) {
    uint8_t *at = (uint8_t *)(uintptr_t)(address + i);
    /* NOR semantics: programming only clears bits, as the store expects of every medium. */
    eeprom_update_byte(at, (uint8_t)(eeprom_read_byte(at) & d[i]));
  }
  return 0;
}

int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % TG_STORE_PAGE_BYTES || len % TG_STORE_PAGE_BYTES) return -1;
  if (address > EEPROM_BYTES || len > EEPROM_BYTES - address) return -1;
  for (uint32_t i = 0; i < len; i++) eeprom_update_byte((uint8_t *)(uintptr_t)(address + i), 0xFF);
  return 0;
}

/* ---------------- start-up ---------------- */

static void hal_init(void) {
  /* Timer0: CTC, /64, 250 counts = 1 ms at 16 MHz. */
  TCCR0A = _BV(WGM01);
  TCCR0B = _BV(CS01) | _BV(CS00);
  OCR0A = 249;
  TIMSK0 = _BV(OCIE0A);
  /* USART0: 115200 8N1, double speed (error 2.1 % at 16 MHz, as the Arduino core does). */
  UCSR0A = _BV(U2X0);
  UBRR0 = (uint16_t)((F_CPU / (8UL * BAUD_RATE)) - 1UL);
  UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
  /* ADC: enabled, /128 (125 kHz at 16 MHz). */
  ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
  /* TWI: 100 kHz. */
  TWSR = 0;
  TWBR = (uint8_t)(((F_CPU / 100000UL) - 16UL) / 2UL);
#if defined(TG_BOARD_UNO)
  /* Timer1 and Timer2: 8-bit fast PWM for pins 9/10 and 3/11. */
  TCCR1A = _BV(WGM10);
  TCCR1B = _BV(WGM12) | _BV(CS11) | _BV(CS10);
  TCCR2A = _BV(WGM21) | _BV(WGM20);
  TCCR2B = _BV(CS22);
#endif
  (void)ANALOG_FIRST;
  sei();
}

#include "bridge.h"

int main(void) {
  hal_init();
  bridge_init();
  for (;;) bridge_poll();
}
