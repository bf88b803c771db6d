/* The sample ring: slots on the clock's time, numbered, kept while the loop is late, lost (and visible as a
   jump in the numbers) only when the ring is full. Built with hal/test's config: TG_SAMPLE_RING 8. */
#include <stdint.h>

#include "check.h"
#include "hal.h"
#include "sampler.h"

/* The "ADC": channel c reads 1000 c + the time it was asked for. */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) { return (uint16_t)(1000u * channel + slot_ms); }
static int masked;
uint32_t hal_irq_save(void) { return (uint32_t)masked++; }
void hal_irq_restore(uint32_t state) { masked = (int)state; }

static int drain(uint32_t *slots, int max) {
  int n = 0;
  const sample_entry_t *e;
  while ((e = sampler_peek()) != 0) {
    if (n < max) slots[n] = e->slot;
    n++;
    sampler_pop();
  }
  return n;
}

int main(void) {
  uint32_t slots[64];
  sampler_reset(0);
  sampler_set_interval(10);
  sampler_clock(50);
  CHECK(sampler_peek() == 0, "no channel on: nothing kept");
  sampler_set_channels(0x5); /* channels 0 and 2 */
  sampler_clock(59);
  CHECK(sampler_peek() == 0, "no slot due before 60 ms");
  sampler_clock(60);
  const sample_entry_t *e = sampler_peek();
  CHECK(e != 0 && e->slot == 6, "the slot counter ran while nothing was reported: slot %u", e ? e->slot : 0);
  CHECK(e && e->channels == 0x5 && e->value[0] == 60 && e->value[1] == 2060, "values of the slot's time");
  sampler_pop();
  CHECK(masked == 0, "every mask restored");

  /* The clock ticks each ms while the loop sends nothing for 45 ms: every slot kept, each with its own time. */
  for (uint32_t t = 61; t <= 105; t++) sampler_clock(t);
  int n = 0;
  uint32_t expect_ms = 70;
  while ((e = sampler_peek()) != 0) {
    CHECK(e->slot == 7u + (uint32_t)n && e->value[0] == expect_ms, "slot %u at %u ms", e->slot, e->value[0]);
    expect_ms += 10;
    n++;
    sampler_pop();
  }
  CHECK(n == 4, "4 slots in 45 ms at 10 ms: %d", n);

  /* A loop stalled past the ring: 7 slots kept (one cell stays free), the rest lost, the numbers show where. */
  for (uint32_t t = 106; t <= 300; t++) sampler_clock(t);
  n = drain(slots, 64);
  CHECK(n == TG_SAMPLE_RING - 1, "a full ring keeps %d slots: %d", TG_SAMPLE_RING - 1, n);
  CHECK(slots[0] == 11 && slots[n - 1] == 17, "the oldest kept: %u..%u", slots[0], slots[n - 1]);
  sampler_clock(310);
  e = sampler_peek();
  CHECK(e && e->slot == 31, "the next slot after the loss is numbered on: %u", e ? e->slot : 0);
  sampler_pop();

  /* A clock that stalled (the loop-driven host build) catches up on at most a ring of slots, at their times. */
  sampler_clock(1000);
  n = 0;
  while ((e = sampler_peek()) != 0) {
    if (n == 0) CHECK(e->slot == 100 - (TG_SAMPLE_RING - 1) + 1, "the oldest caught-up slot: %u", e->slot);
    CHECK(e->value[0] == e->slot * 10u, "slot %u read at its own time: %u", e->slot, e->value[0]);
    n++;
    sampler_pop();
  }
  CHECK(n == TG_SAMPLE_RING - 1, "caught up %d", n);

  /* Channels switched on while slots wait: each slot keeps the channels it was taken with. */
  sampler_clock(1010);
  sampler_set_channels(0x7);
  sampler_clock(1020);
  e = sampler_peek();
  CHECK(e && e->channels == 0x5, "older slot: its own channels");
  sampler_pop();
  e = sampler_peek();
  CHECK(e && e->channels == 0x7 && e->value[1] == 2020, "newer slot: three channels");
  sampler_pop();

  /* Paced with no channel (continuous I2C reads): empty slots still come. */
  sampler_set_channels(0);
  sampler_set_paced(1);
  sampler_clock(1030);
  e = sampler_peek();
  CHECK(e && e->channels == 0 && e->slot == 103, "an empty paced slot");
  sampler_pop();

  /* A timer ticking every ms against a loop that drains at random moments, beside a model of the ring: every
     slot the model keeps is sent, in order, read at its own time; the model's lost slots never are. */
  sampler_reset(2000);
  sampler_set_interval(3);
  sampler_set_channels(0x2);
  srand(11);
  static uint8_t kept[4000]; /* by slot number, from the model */
  uint32_t slot = 103, waiting = 0, sent = 0, lost = 0, expect = 0;
  for (uint32_t t = 2001; t < 12000; t++) {
    sampler_clock(t);
    if ((t - 2000) % 3 == 0) {
      slot++;
      kept[slot - 104] = waiting < TG_SAMPLE_RING - 1;
      if (kept[slot - 104]) waiting++;
      else lost++;
    }
    if (rand() % 10 != 0) continue; /* the loop is busy */
    while ((e = sampler_peek()) != 0) {
      while (expect < slot - 103 && !kept[expect]) expect++;
      CHECK(e->slot == 104 + expect, "sent slot %u, the model's next kept one is %u", e->slot, 104 + expect);
      CHECK(e->value[0] == 1000u + (t - (t - 2000) % 3) - 3u * (slot - e->slot), "slot %u read at its time", e->slot);
      expect++;
      sent++;
      sampler_pop();
    }
    waiting = 0;
  }
  CHECK(sent > 2000 && lost > 0, "sent %u, lost %u: both cases exercised", sent, lost);
  return check_report("sampler");
}
