/*
 * Sample slots taken on the board's clock into a ring; the main loop sends them (src/slot_sender.c, only as
 * far as the link takes them without blocking). A slow loop (a long inference, a flash write, a write that
 * waits for the UART) then delays when samples are sent, never when they are taken. The HAL's millisecond timer interrupt calls sampler_clock(); a HAL without one (the host build)
 * defines TG_SAMPLER_IN_LOOP and the loop calls it, each slot's value read at the slot's own time through
 * hal_analog_sample(). Every slot has a number (slots since start-up); the loop sends it with the slot's
 * analog reports (docs/protocol.md, sample marks), so a slot that never reached the wire shows as a gap.
 */
#ifndef TG_SAMPLER_H
#define TG_SAMPLER_H

#include <stdint.h>

#include "tg_config.h"

typedef struct {
  uint32_t slot;                          /* slots since start-up, lost ones included */
  uint16_t channels;                      /* bit per ADC channel read in this slot */
  uint16_t value[TG_SAMPLE_CHANNELS];     /* the channels' readings, lowest channel first */
} sample_entry_t;

/* Main loop side. Each call masks the timer interrupt while it changes what the interrupt reads. */
void sampler_reset(uint32_t now_ms);
void sampler_set_channels(uint16_t channels);
void sampler_set_interval(uint16_t interval_ms);
/* Take slots even with no channel on (continuous I2C reads are paced by them). */
void sampler_set_paced(uint8_t on);
/* The oldest slot not yet sent, or NULL; sampler_pop() frees it. */
const sample_entry_t *sampler_peek(void);
void sampler_pop(void);

/* Timer side: takes every slot due by `now_ms` (a full ring loses the slot; its number is still used). */
void sampler_clock(uint32_t now_ms);

#endif
