/*
 * HAL for the STM32F4 on bare registers (stm32f4_regs.h; no CMSIS, no ST HAL): USART2 carries the link (the
 * ST-LINK virtual COM port of the Nucleo-64 boards) with an interrupt-fed receive ring, SysTick is the
 * millisecond clock and paces the ADC (every analog input converted once a millisecond, in its interrupt),
 * GPIO ports A-C serve the digital pins, and the model store is the chip's flash (flash_store.c) or, under QEMU, RAM
 * (hal/common/ram_store.c). Pin numbers are the Arduino header's: D0-D13, then A0-A5 as 14-19.
 */
#include <stdint.h>

#include "bridge.h"
#include "hal.h"
#include "sampler.h"
#include "stm32f4_regs.h"
#include "tg_config.h"
#ifdef TG_STORE_RAM
#include "ram_store.h"
#endif
#ifdef TG_ADC_TEST_SIGNAL
#include "test_signal.h"
#endif

#define BAUD_RATE 115200u
#define TICKS_PER_MS (TG_CPU_HZ / 1000u)

/* ---------------- board: the Nucleo-64 Arduino header ---------------- */

enum { PA = 0, PB = 1, PC = 2 };
typedef struct {
  uint8_t port, bit, adc_input;
} pin_map_t;

#define NA NO_ANALOG_CHANNEL
#define IO PIN_CAP(PIN_MODE_INPUT) | PIN_CAP(PIN_MODE_OUTPUT) | PIN_CAP(PIN_MODE_PULLUP)
#define AN IO | PIN_CAP(PIN_MODE_ANALOG)
#define SER 0 /* D0/D1 are USART2: the link */
#define PIN_COUNT 20
#define ANALOG_COUNT 6

static const pin_map_t PINS[PIN_COUNT] = {
    {PA, 3, NA}, {PA, 2, NA},  {PA, 10, NA}, {PB, 3, NA}, {PB, 5, NA}, {PB, 4, NA},  {PB, 10, NA},
    {PA, 8, NA}, {PA, 9, NA},  {PC, 7, NA},  {PB, 6, NA}, {PA, 7, NA}, {PA, 6, NA},  {PA, 5, NA},
    {PA, 0, 0},  {PA, 1, 1},   {PA, 4, 4},   {PB, 0, 8},  {PC, 1, 11}, {PC, 0, 10},
};
static const uint16_t MODES[PIN_COUNT] = {SER, SER, IO, IO, IO, IO, IO, IO, IO, IO,
                                          IO,  IO,  IO, IO, AN, AN, AN, AN, AN, AN};
static const uint8_t CHANNEL[PIN_COUNT] = {NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
                                           NA, NA, NA, NA, 0,  1,  2,  3,  4,  5};
#define ANALOG_FIRST_PIN 14

static const hal_board_t BOARD = {
    .board_id = TG_BOARD_ID,
    .pin_count = PIN_COUNT,
    .pin_modes = MODES,
    .analog_channel = CHANNEL,
    .adc_bits = 12,
    .pwm_bits = 8,
    .flash_bytes = TG_FLASH_BYTES,
    .ram_bytes = TG_RAM_BYTES,
    .arena_bytes = TG_ARENA_BYTES,
    .rx_buffer_bytes = TG_RX_BUFFER_BYTES,
};

const hal_board_t *hal_board(void) { return &BOARD; }

/* ---------------- clock ---------------- */

#ifdef TG_PLL_HSI
/* 168 MHz from the 16 MHz HSI (no crystal needed): regulator scale 1, 5 flash wait states, APB1 /4, APB2 /2. */
static void clock_init(void) {
  RCC_APB1ENR |= RCC_APB1ENR_PWREN;
  PWR_CR |= PWR_CR_VOS_SCALE1;
  RCC_CR |= RCC_CR_HSION;
  while (!(RCC_CR & RCC_CR_HSIRDY)) {
  }
  RCC_PLLCFGR = 8u | (168u << 6) | (0u << 16) /* P = 2 */ | (7u << 24) /* Q */ | (2u << 28) /* R */;
  RCC_CR |= RCC_CR_PLLON;
  while (!(RCC_CR & RCC_CR_PLLRDY)) {
  }
  FLASH_ACR = 5u | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
  RCC_CFGR = RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL;
  while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
  }
}
#else
static void clock_init(void) {} /* QEMU models no RCC: its core runs at 168 MHz from the start */
#endif

static volatile uint32_t millis_count;

/* The millisecond tick is the sampler's clock, so samples are spaced by the clock, not by the main loop.
   (SysTick rather than TIM2: QEMU 7.2's TIM2-5 model gives no steady periodic interrupt.) */
void systick_handler(void);
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

/* ---------------- pins ---------------- */

static void gpio_mode(uint8_t port, uint8_t bit, uint32_t mode) {
  GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << (2u * bit))) | (mode << (2u * bit));
}

static void gpio_pull_up(uint8_t port, uint8_t bit, int on) {
  GPIO_PUPDR(port) = (GPIO_PUPDR(port) & ~(3u << (2u * bit))) | ((on ? GPIO_PULL_UP : 0u) << (2u * bit));
}

void hal_pin_mode(uint8_t pin, uint8_t mode) {
  if (pin >= PIN_COUNT || MODES[pin] == SER) return;
  const pin_map_t *p = &PINS[pin];
  uint32_t s;
  __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(s)::"memory");
  if (mode == PIN_MODE_OUTPUT || mode == PIN_MODE_PWM) gpio_mode(p->port, p->bit, GPIO_MODE_OUTPUT);
  else if (mode == PIN_MODE_ANALOG && p->adc_input != NA) gpio_mode(p->port, p->bit, GPIO_MODE_ANALOG);
  else gpio_mode(p->port, p->bit, GPIO_MODE_INPUT);
  gpio_pull_up(p->port, p->bit, mode == PIN_MODE_PULLUP);
  __asm__ volatile("msr primask, %0" ::"r"(s) : "memory");
}

void hal_digital_write(uint8_t pin, uint8_t value) {
  if (pin >= PIN_COUNT || MODES[pin] == SER) return;
  GPIO_BSRR(PINS[pin].port) = 1u << (PINS[pin].bit + (value ? 0u : 16u)); /* set or reset, atomically */
}

uint8_t hal_digital_read(uint8_t pin) {
  if (pin >= PIN_COUNT) return 0;
  return (GPIO_IDR(PINS[pin].port) >> PINS[pin].bit) & 1u;
}

/* No timer PWM yet: on/off at half scale. */
void hal_pwm_write(uint8_t pin, uint16_t value) { hal_digital_write(pin, value >= 128); }

/* ---------------- ADC, read in the SysTick slot ---------------- */

#ifdef TG_ADC_TEST_SIGNAL
/* QEMU's ADC model ignores the pin (each conversion is the last + 7, a full-scale sawtooth the gateway rightly
   takes for a sensor at its rails) and never sets EOC: the QEMU build reads the mps2 build's test sine. */
static uint16_t convert(uint8_t channel, uint32_t at_ms) { return test_signal(channel, at_ms); }
#else
/* One conversion of an ADC1 input: 96 ADC clocks (4.6 us); the wait is bounded so a dead ADC cannot hang. */
static uint16_t convert(uint8_t channel, uint32_t at_ms) {
  (void)at_ms;
  ADC1_SQR3 = PINS[ANALOG_FIRST_PIN + channel].adc_input;
  ADC1_CR2 |= ADC_CR2_SWSTART;
  for (uint32_t spin = 0; spin < 2000u && !(ADC1_SR & ADC_SR_EOC); spin++) {
  }
  return (uint16_t)(ADC1_DR & 0xFFFu);
}
#endif

/* From the loop: the tick must not start a conversion in the middle of this one. */
uint16_t hal_analog_read(uint8_t channel) {
  if (channel >= ANALOG_COUNT) return 0;
  uint32_t s = hal_irq_save();
  uint16_t v = convert(channel, millis_count);
  hal_irq_restore(s);
  return v;
}

/* From the tick, at the slot's time. */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) {
  return channel < ANALOG_COUNT ? convert(channel, slot_ms) : 0;
}

static void adc_init(void) {
  RCC_APB2ENR |= RCC_APB2ENR_ADC1EN;
  for (uint8_t c = 0; c < ANALOG_COUNT; c++) {
    const pin_map_t *p = &PINS[ANALOG_FIRST_PIN + c];
    gpio_mode(p->port, p->bit, GPIO_MODE_ANALOG);
  }
  ADC_CCR = ADC_CCR_ADCPRE_DIV4; /* 84 MHz APB2 / 4 = 21 MHz, under the 36 MHz limit */
  ADC1_SMPR1 = 0x04924924u;      /* 84 cycles on inputs 10-18 */
  ADC1_SMPR2 = 0x24924924u;      /* 84 cycles on inputs 0-9: 96 cycles, 4.6 us a conversion */
  ADC1_SQR1 = 0;                 /* one conversion per start */
  ADC1_CR1 = 0;                  /* 12 bits */
  ADC1_CR2 = ADC_CR2_ADON;
}

/* ---------------- I2C: not in this HAL yet ---------------- */

int hal_i2c_write(uint8_t address, const uint8_t *data, uint8_t len, uint8_t send_stop) { return -1; }
int hal_i2c_read(uint8_t address, uint8_t *data, uint8_t len) { return -1; }

/* ---------------- USART2 ---------------- */

static volatile uint8_t rx_ring[TG_RX_BUFFER_BYTES];
static volatile uint16_t rx_head, rx_tail;
static volatile uint8_t rx_paused;

/* A full ring leaves the byte in DR and stops taking more: QEMU then holds the rest back (no loss); on a
   chip the next byte overruns, and the link's CRC and retransmission recover it. */
void usart2_handler(void);
void usart2_handler(void) {
  if (!(USART2_SR & (USART_SR_RXNE | USART_SR_ORE))) return;
  uint16_t next = (uint16_t)((rx_head + 1u) % TG_RX_BUFFER_BYTES);
  if (next == rx_tail) {
    USART2_CR1 &= ~USART_CR1_RXNEIE;
    rx_paused = 1;
    return;
  }
  rx_ring[rx_head] = (uint8_t)USART2_DR;
  rx_head = next;
}

int hal_uart_read(void) {
  if (rx_head == rx_tail) return -1;
  uint8_t b = rx_ring[rx_tail];
  rx_tail = (uint16_t)((rx_tail + 1u) % TG_RX_BUFFER_BYTES);
  if (rx_paused) {
    rx_paused = 0;
    USART2_CR1 |= USART_CR1_RXNEIE; /* the handler is masked while paused: no race on CR1 */
  }
  return b;
}

/* Writes wait for USART2's data register, sample slots included (SysTick keeps taking them). */
uint16_t hal_uart_tx_room(void) { return HAL_UART_TX_ROOM_ANY; }

void hal_uart_write(const uint8_t *data, uint16_t len) {
  for (uint16_t i = 0; i < len; i++) {
    while (!(USART2_SR & USART_SR_TXE)) {
    }
    USART2_DR = data[i];
  }
}

static void uart_init(void) {
  RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
  GPIO_AFRL(PA) = (GPIO_AFRL(PA) & ~0xFF00u) | (7u << 8) | (7u << 12); /* PA2, PA3: AF7 */
  gpio_mode(PA, 2, GPIO_MODE_AF);
  gpio_mode(PA, 3, GPIO_MODE_AF);
  USART2_BRR = (TG_UART_CLOCK_HZ + BAUD_RATE / 2u) / BAUD_RATE; /* 16x oversampling: mantissa.fraction */
  USART2_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
  NVIC_ISER(USART2_IRQ / 32u) = 1u << (USART2_IRQ % 32u);
}

/* ---------------- start-up ---------------- */

int main(void) {
  clock_init();
  RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN | RCC_AHB1ENR_GPIOBEN | RCC_AHB1ENR_GPIOCEN;
  adc_init();
  uart_init();
  SYST_RVR = TICKS_PER_MS - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */
#ifdef TG_STORE_RAM
  ram_store_init();
#endif
  bridge_init();
  for (;;) {
    bridge_poll();
    /* Sleep until the next byte or millisecond tick. Interrupts are masked around the check, so a
       byte arriving in between still ends the WFI. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (rx_head == rx_tail) __asm__ volatile("wfi");
    __asm__ volatile("cpsie i" ::: "memory");
  }
}
