#include "sampler.h"

#include "hal.h"

/* One producer (sampler_clock, in the timer interrupt) and one consumer (the loop): each index is written by
   one side only and is one byte, so reading it is atomic on every target, the AVR included. */
static sample_entry_t ring[TG_SAMPLE_RING];
static volatile uint8_t head, tail;
static uint32_t last_ms;     /* clock time of the latest slot */
static uint32_t slot;        /* that slot's number */
static uint16_t interval = 19;
static uint16_t channels;
static uint8_t paced;

#if TG_SAMPLE_RING > 255 || TG_SAMPLE_RING < 2
#error "TG_SAMPLE_RING must be 2..255 (one-byte ring indices)"
#endif

void sampler_reset(uint32_t now_ms) {
  uint32_t s = hal_irq_save();
  last_ms = now_ms;
  channels = 0;
  paced = 0;
  tail = head;
  hal_irq_restore(s);
}

void sampler_set_channels(uint16_t mask) {
  uint32_t s = hal_irq_save();
  channels = mask;
  hal_irq_restore(s);
}

void sampler_set_interval(uint16_t interval_ms) {
  uint32_t s = hal_irq_save();
  interval = interval_ms ? interval_ms : 1;
  hal_irq_restore(s);
}

void sampler_set_paced(uint8_t on) {
  uint32_t s = hal_irq_save();
  paced = on;
  hal_irq_restore(s);
}

const sample_entry_t *sampler_peek(void) { return tail == head ? 0 : &ring[tail]; }

void sampler_pop(void) {
  if (tail != head) tail = (uint8_t)(tail + 1 == TG_SAMPLE_RING ? 0 : tail + 1);
}

static void take(uint32_t at_ms) {
  if (!channels && !paced) return;
  uint8_t next = (uint8_t)(head + 1 == TG_SAMPLE_RING ? 0 : head + 1);
  if (next == tail) return; /* full: the loop has not sent the older slots; this one is lost */
  sample_entry_t *e = &ring[head];
  uint8_t n = 0;
  e->slot = slot;
  e->channels = 0;
  for (uint8_t c = 0; c < 16 && n < TG_SAMPLE_CHANNELS; c++) {
    if (!(channels & (1u << c))) continue;
    e->value[n++] = hal_analog_sample(c, at_ms);
    e->channels |= (uint16_t)(1u << c);
  }
  head = next;
}

void sampler_clock(uint32_t now_ms) {
  uint32_t due = (uint32_t)(now_ms - last_ms) / interval;
  if (due == 0) return;
  /* A clock that stalled (a loop-driven HAL) catches up on a ring of slots at most: the oldest are lost. */
  if (due > TG_SAMPLE_RING - 1) {
    uint32_t lost = due - (TG_SAMPLE_RING - 1);
    last_ms += lost * interval;
    slot += lost;
    due = TG_SAMPLE_RING - 1;
  }
  for (; due > 0; due--) {
    last_ms += interval;
    slot++;
    take(last_ms);
  }
}
