/*
 * The one boundary between the portable core (src/) and a board. Each HAL folder implements
 * every function here and provides hal_config.h (compile-time sizes). The core never includes
 * anything board-specific; a new target is a new folder under hal/.
 */
#ifndef TG_HAL_H
#define TG_HAL_H

#include <stdint.h>

/* Firmata pin modes, as bit numbers of hal_board_t.pin_modes[]. */
#define PIN_MODE_INPUT 0x00
#define PIN_MODE_OUTPUT 0x01
#define PIN_MODE_ANALOG 0x02
#define PIN_MODE_PWM 0x03
#define PIN_MODE_SERVO 0x04
#define PIN_MODE_I2C 0x06
#define PIN_MODE_PULLUP 0x0B
#define PIN_MODE_IGNORE 0x7F
#define PIN_CAP(mode) ((uint16_t)(1u << (mode)))
#define NO_ANALOG_CHANNEL 0x7F

/* What the board is; constant for the life of the firmware. */
typedef struct {
  const char *board_id;          /* matches a boards/<id>.json profile */
  uint8_t pin_count;
  const uint16_t *pin_modes;     /* per pin: PIN_CAP(mode) bits it supports */
  const uint8_t *analog_channel; /* per pin: ADC channel or NO_ANALOG_CHANNEL */
  uint8_t adc_bits;
  uint8_t pwm_bits;
  uint32_t flash_bytes;      /* program flash of the MCU */
  uint32_t ram_bytes;        /* SRAM of the MCU */
  uint32_t arena_bytes;      /* tensor arena the int8 runtime may use */
  uint16_t rx_buffer_bytes;  /* UART receive buffer: the most bytes the gateway may have in flight */
} hal_board_t;

const hal_board_t *hal_board(void);

/* Time since start-up; wraps. */
uint32_t hal_millis(void);
uint32_t hal_micros(void);

/* Masks the interrupt that calls sampler_clock() and returns what hal_irq_restore() puts back (where the
   loop calls it, TG_SAMPLER_IN_LOOP, there is nothing to mask). */
uint32_t hal_irq_save(void);
void hal_irq_restore(uint32_t state);

/* UART: read returns the next received byte or -1; write queues (blocking when the queue is full). */
int hal_uart_read(void);
void hal_uart_write(const uint8_t *data, uint16_t len);
/* Bytes hal_uart_write() takes now without blocking (sample slots wait for it: src/slot_sender.c), or
   HAL_UART_TX_ROOM_ANY where writes wait for the wire by design. */
#define HAL_UART_TX_ROOM_ANY 0xFFFFu
uint16_t hal_uart_tx_room(void);

/* Pins (Firmata numbering). */
void hal_pin_mode(uint8_t pin, uint8_t mode);
void hal_digital_write(uint8_t pin, uint8_t value);
uint8_t hal_digital_read(uint8_t pin);
void hal_pwm_write(uint8_t pin, uint16_t value);
uint16_t hal_analog_read(uint8_t channel);
/* The channel's value for the sample slot at hal_millis() time `slot_ms`, called by sampler_clock(): from the
   timer interrupt that is now; from the loop (TG_SAMPLER_IN_LOOP) a function of time is read at `slot_ms`. */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms);

/* I2C master: 0 on success, negative when the device did not answer. */
int hal_i2c_write(uint8_t address, const uint8_t *data, uint8_t len, uint8_t send_stop);
int hal_i2c_read(uint8_t address, uint8_t *data, uint8_t len);

/*
 * Model store medium, NOR-flash semantics: erase sets whole pages to 0xFF, program can only
 * clear bits (a byte may be programmed again with the same value). Addresses are relative to
 * the region given to the store. 0 on success, negative on failure.
 */
uint32_t hal_store_bytes(void);
uint32_t hal_store_page_bytes(void);
int hal_store_read(uint32_t address, void *data, uint32_t len);
int hal_store_program(uint32_t address, const void *data, uint32_t len);
int hal_store_erase(uint32_t address, uint32_t len); /* page-aligned address and length */
/* The region as memory when the medium is memory-mapped (internal flash, host file), else NULL. */
const uint8_t *hal_store_map(void);

#endif
