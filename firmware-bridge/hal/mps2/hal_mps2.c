/*
 * HAL for QEMU's mps2-an385 (Cortex-M3, 25 MHz) and mps2-an386 (the same board and memory map with a
 * Cortex-M4F; TG_BOARD_MPS2_AN386): the CMSDK APB UART0 at 0x40004000 carries the link
 * (QEMU puts it on a pty), SysTick is the millisecond clock, the top MiB of ZBT SSRAM1 is the model
 * store with NOR-flash rules (hal/common/ram_store.c). No ADC is emulated: analog pins read a fixed
 * test sine, a different frequency per channel, so johnny-five and the demo see live values. No I2C
 * devices are attached.
 */
#include <stdint.h>
#include <string.h>

#include "bridge.h"
#include "hal.h"
#include "sampler.h"
#include "ram_store.h"
#include "test_signal.h"
#include "tg_config.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

/* CMSDK APB UART0 */
#define UART0 0x40004000u
#define UART_DATA REG(UART0 + 0x00)
#define UART_STATE REG(UART0 + 0x04)
#define UART_CTRL REG(UART0 + 0x08)
#define UART_INTCLEAR REG(UART0 + 0x0C)
#define UART_BAUDDIV REG(UART0 + 0x10)
#define STATE_TX_FULL 1u
#define STATE_RX_FULL 2u
#define CTRL_TX_EN 1u
#define CTRL_RX_EN 2u
#define CTRL_RX_INT_EN 8u
#define INT_RX 2u
#define NVIC_ISER0 REG(0xE000E100u)
#define UART0_RX_IRQ 0u

/* SysTick */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define CPU_HZ 25000000u
#define TICKS_PER_MS (CPU_HZ / 1000u)

/* ---------------- board ---------------- */

#define IO PIN_CAP(PIN_MODE_INPUT) | PIN_CAP(PIN_MODE_OUTPUT) | PIN_CAP(PIN_MODE_PULLUP)
#define AN IO | PIN_CAP(PIN_MODE_ANALOG)
#define NA NO_ANALOG_CHANNEL
#define PIN_COUNT 20

/* D0-D13 then A0-A5 (pins 14-19), numbered as an Uno so the same sketches and configs apply. */
static const uint16_t MODES[PIN_COUNT] = {0,  0,  IO, IO, IO, IO, IO, IO, IO, IO,
                                          IO, IO, IO, IO, AN, AN, AN, AN, AN, AN};
static const uint8_t CHANNEL[PIN_COUNT] = {NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, 0, 1, 2, 3, 4, 5};

#ifdef TG_BOARD_MPS2_AN386
#define TG_BOARD_ID "qemu-mps2-an386"
#else
#define TG_BOARD_ID "qemu-mps2-an385"
#endif

static const hal_board_t BOARD = {
    .board_id = TG_BOARD_ID,
    .pin_count = PIN_COUNT,
    .pin_modes = MODES,
    .analog_channel = CHANNEL,
    .adc_bits = 12,
    .pwm_bits = 8,
    .flash_bytes = 4u * 1024u * 1024u,
    .ram_bytes = 4u * 1024u * 1024u,
    .arena_bytes = TG_ARENA_BYTES,
    .rx_buffer_bytes = TG_RX_BUFFER_BYTES,
};

const hal_board_t *hal_board(void) { return &BOARD; }

/* ---------------- clock ---------------- */

static volatile uint32_t millis_count;

void systick_handler(void);
/* The millisecond tick is the sampler's clock: slots are taken here, whatever the loop is doing. */
void systick_handler(void) {
  millis_count++;
  sampler_clock(millis_count);
}

uint32_t hal_millis(void) { return millis_count; }

uint32_t hal_micros(void) {
  uint32_t m, v;
  do { /* re-read when the tick interrupt ran in between */
    m = millis_count;
    v = SYST_CVR;
  } while (m != millis_count);
  return m * 1000u + (TICKS_PER_MS - 1u - v) / (TICKS_PER_MS / 1000u);
}

/* ---------------- UART ---------------- */

/* The CMSDK UART holds one received byte and QEMU stops reading the pty until the guest takes it, so
   polling loses nothing: the gateway is back-pressured instead of overrun. */
int hal_uart_read(void) {
  if (!(UART_STATE & STATE_RX_FULL)) return -1;
  return (int)(UART_DATA & 0xFFu);
}

/* A received byte only wakes the core from WFI; the main loop reads it. */
void uart0_rx_handler(void);
void uart0_rx_handler(void) { UART_INTCLEAR = INT_RX; }

/* Writes wait for the UART's FIFO, sample slots included (SysTick keeps taking them). */
uint16_t hal_uart_tx_room(void) { return HAL_UART_TX_ROOM_ANY; }

void hal_uart_write(const uint8_t *data, uint16_t len) {
  for (uint16_t i = 0; i < len; i++) {
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = data[i];
  }
}

/* ---------------- pins: digital latches, a test sine on the analog channels (test_signal.c) ---------------- */

static uint8_t latch[PIN_COUNT];

void hal_pin_mode(uint8_t pin, uint8_t mode) {
  if (pin < PIN_COUNT && mode == PIN_MODE_PULLUP) latch[pin] = 1;
}
void hal_digital_write(uint8_t pin, uint8_t value) {
  if (pin < PIN_COUNT) latch[pin] = value ? 1 : 0;
}
uint8_t hal_digital_read(uint8_t pin) { return pin < PIN_COUNT ? latch[pin] : 0; }
void hal_pwm_write(uint8_t pin, uint16_t value) { hal_digital_write(pin, value != 0); }

uint16_t hal_analog_read(uint8_t channel) { return test_signal(channel, hal_millis()); }
/* Called from the tick at the slot's time: the test signal of that instant. */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) { return test_signal(channel, slot_ms); }

int hal_i2c_write(uint8_t address, const uint8_t *data, uint8_t len, uint8_t send_stop) { return -1; }
int hal_i2c_read(uint8_t address, uint8_t *data, uint8_t len) { return -1; }

/* ---------------- start-up ---------------- */

int main(void) {
  UART_BAUDDIV = CPU_HZ / 115200u; /* nominal: QEMU does not pace by it */
  UART_CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN;
  NVIC_ISER0 = 1u << UART0_RX_IRQ;
  SYST_RVR = TICKS_PER_MS - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */
  ram_store_init();
  bridge_init();
  for (;;) {
    bridge_poll();
    /* Sleep until the next byte or millisecond tick, so an idle board leaves the host's CPU alone.
       Interrupts are masked around the check: a byte arriving in between still ends the WFI. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (!(UART_STATE & STATE_RX_FULL)) __asm__ volatile("wfi");
    __asm__ volatile("cpsie i" ::: "memory");
  }
}
