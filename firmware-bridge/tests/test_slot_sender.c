/* Sending sample slots over a link slower than the sampling: never a write the link cannot take at once,
   whole slots only, the slot numbers on the board's clock, and every lost slot counted in a 0x54 report
   with the number of the latest. Built with hal/test's config: TG_SAMPLE_RING 8, 4 channels. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hal.h"
#include "sampler.h"
#include "slot_sender.h"
#include "tinygate_link.h"

/* ---- a UART with a 63-byte transmit buffer that the wire drains at a set rate ---- */
#define TX_BUFFER 63
static uint16_t queued;            /* bytes in the transmit buffer */
static int unlimited;              /* a HAL whose writes wait by design */
static uint8_t wire[1 << 20];      /* everything written, in order */
static uint32_t wire_len;
static int overfull_writes;        /* writes the buffer could not take at once (they would have blocked) */

uint16_t hal_uart_tx_room(void) { return unlimited ? HAL_UART_TX_ROOM_ANY : (uint16_t)(TX_BUFFER - queued); }
void hal_uart_write(const uint8_t *data, uint16_t len) {
  if (!unlimited && len > TX_BUFFER - queued) overfull_writes++;
  memcpy(wire + wire_len, data, len);
  wire_len += len;
  queued = (uint16_t)(queued + len > TX_BUFFER ? TX_BUFFER : queued + len);
}
static void drain(uint16_t bytes) { queued = (uint16_t)(queued > bytes ? queued - bytes : 0); }

/* ---- the 0x54 report, recorded as sent and written as its real length ---- */
static uint32_t report_skipped[64], report_counter[64], report_ms[64];
static int reports;
static uint32_t now;
void tg_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
void tinygate_reply(uint8_t reply, const uint8_t *body, uint16_t len) {
  CHECK(reply == 0x54 && len == 8, "only 0x54 reports: 0x%02x, %u bytes", reply, len);
  if (reports < 64) {
    report_skipped[reports] = (uint32_t)body[0] | (uint32_t)body[1] << 8 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 24;
    report_counter[reports] = (uint32_t)body[4] | (uint32_t)body[5] << 8 | (uint32_t)body[6] << 16 | (uint32_t)body[7] << 24;
    report_ms[reports] = now;
  }
  reports++;
  uint8_t frame[SLOT_SKIP_REPORT_BYTES] = {0xF0, 0x0D, 0x54};
  frame[SLOT_SKIP_REPORT_BYTES - 1] = 0xF7;
  hal_uart_write(frame, sizeof frame);
}

/* ---- the sampler's other side ---- */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) { return (uint16_t)((100u * channel + slot_ms) & 0x3FFF); }
uint32_t hal_irq_save(void) { return 0; }
void hal_irq_restore(uint32_t state) { (void)state; }

/* The marks on the wire and the analog reports after each; checks each slot came whole and read at its time. */
typedef struct {
  uint32_t marks, first, last, gaps, max_gap_ms;
  int torn; /* a mark whose analog reports were not all there, or a value not of its slot */
} wire_t;
static wire_t read_wire(int channels, uint32_t interval_ms) {
  wire_t w = {0, 0, 0, 0, 0, 0};
  uint32_t i = 0;
  while (i < wire_len) {
    if (wire[i] == 0xF0 && wire[i + 1] == 0x0C) {
      uint32_t slot = (uint32_t)wire[i + 2] | (uint32_t)wire[i + 3] << 7 | (uint32_t)wire[i + 4] << 14;
      i += 6;
      for (int c = 0; c < channels; c++, i += 3) {
        uint32_t v = (uint32_t)wire[i + 1] | (uint32_t)wire[i + 2] << 7;
        if (i + 3 > wire_len || wire[i] != (0xE0 | c) || v != ((100u * (uint32_t)c + slot * interval_ms) & 0x3FFF)) w.torn++;
      }
      if (w.marks && slot != w.last + 1) {
        w.gaps += slot - w.last - 1;
      }
      if (!w.marks) w.first = slot;
      w.last = slot;
      w.marks++;
    } else if (wire[i] == 0xF0) {
      while (i < wire_len && wire[i] != 0xF7) i++;
      i++;
    } else {
      w.torn++;
      i++;
    }
  }
  return w;
}

static uint16_t extra_len = 70;
static void big_extra(void) {
  uint8_t b[70];
  memset(b, 0x10, sizeof b);
  hal_uart_write(b, extra_len);
}

int main(void) {
  /* 3 channels every 1 ms: 15 bytes a slot, 15,000 B/s, over a wire that drains 10 bytes a ms (10,000 B/s). */
  sampler_reset(0);
  sampler_set_interval(1);
  sampler_set_channels(0x7);
  slot_sender_restart();
  for (now = 1; now <= 2000; now++) {
    sampler_clock(now); /* the timer interrupt: on time, whatever the link does */
    drain(10);
    slot_sender_poll(now, 0, 0);
  }
  wire_t w = read_wire(3, 1);
  CHECK(overfull_writes == 0, "no write waited for the link: %d did", overfull_writes);
  CHECK(w.torn == 0, "every slot whole, each value of its slot's time: %d torn", w.torn);
  CHECK(w.first == 1, "the first slot sent is slot 1: %u", w.first);
  /* The slot numbers ran with the clock: the latest sent is behind it by what the ring (7 slots, 105 B) and a
     report (18 B) take to send at 10 B/ms, no more. */
  CHECK(w.last <= 2000 && w.last >= 2000 - 13, "latest slot %u at 2000 ms", w.last);
  CHECK(w.marks + w.gaps == w.last, "sent %u + lost %u = %u slots", w.marks, w.gaps, w.last);
  /* The wire took 20,000 B in 2 s: slots (15 B) and reports (18 B) fill it, no more. */
  CHECK(wire_len <= 20000 + TX_BUFFER && wire_len > 19000, "bytes on the wire %u", wire_len);
  CHECK(w.marks > 1200 && w.marks < 1334, "slots sent %u of 2000 (10/15 of them fit, minus reports)", w.marks);
  uint32_t skipped = 0;
  for (int r = 0; r < reports && r < 64; r++) {
    skipped += report_skipped[r];
    if (r) CHECK(report_ms[r] - report_ms[r - 1] >= TG_SKIP_REPORT_MS, "reports %d ms apart", (int)(report_ms[r] - report_ms[r - 1]));
  }
  printf("slot sender: 2000 slots of 15 B over 10 B/ms: %u sent whole, %u lost, %d reports, %u B on the wire\n",
         w.marks, w.gaps, reports, wire_len);
  CHECK(reports >= 18 && reports <= 20, "one report per %d ms at most: %d in 2 s", TG_SKIP_REPORT_MS, reports);

  /* The overload ends (A1, A2 off: 6 bytes a slot); the pending losses are reported within the rate limit. */
  sampler_set_channels(0x1);
  uint32_t before = wire_len;
  for (; now <= 2300; now++) {
    sampler_clock(now);
    drain(10);
    slot_sender_poll(now, 0, 0);
  }
  skipped = 0;
  for (int r = 0; r < reports && r < 64; r++) skipped += report_skipped[r];
  uint32_t marks = 0, last = 0, gaps = 0, first_after = 0;
  for (uint32_t i = 0; i < wire_len;) {
    if (wire[i] == 0xF0 && wire[i + 1] == 0x0C) {
      uint32_t slot = (uint32_t)wire[i + 2] | (uint32_t)wire[i + 3] << 7 | (uint32_t)wire[i + 4] << 14;
      if (marks && slot != last + 1) gaps += slot - last - 1;
      if (i >= before && !first_after) first_after = slot;
      last = slot;
      marks++;
      i += 6;
    } else if (wire[i] == 0xF0) {
      while (wire[i] != 0xF7) i++;
      i++;
    } else
      i += 3;
  }
  CHECK(last == 2300, "the link keeps up again: the latest slot is the clock's, %u", last);
  CHECK(skipped == gaps, "the 0x54 reports add up to the gaps in the marks: %u vs %u", skipped, gaps);
  CHECK(reports > 0 && reports <= 64, "reports %d", reports);
  if (reports <= 0 || reports > 64) return check_report("slot sender");
  CHECK(report_counter[reports - 1] < first_after + 20 && report_counter[reports - 1] >= 1990,
        "the latest report names the latest lost slot: %u", report_counter[reports - 1]);
  {
    /* That number is a slot the marks skipped. */
    int seen = 0;
    for (uint32_t i = 0; i < wire_len; i++)
      if (wire[i] == 0xF0 && wire[i + 1] == 0x0C) {
        uint32_t slot = (uint32_t)wire[i + 2] | (uint32_t)wire[i + 3] << 7 | (uint32_t)wire[i + 4] << 14;
        if (slot == report_counter[reports - 1]) seen = 1;
        if (slot == report_counter[reports - 1] + 1 && !seen) seen = 2;
      }
    CHECK(seen == 2, "slot %u was lost, the one after it sent", report_counter[reports - 1]);
  }
  CHECK(overfull_writes == 0, "still no write waited: %d", overfull_writes);

  /* A slot bigger than the whole buffer (70 bytes of I2C replies with it) goes only when the buffer is empty,
     and then waits for the excess. */
  wire_len = 0;
  int sent_into_empty = 0, sent_into_busy = 0;
  for (; now <= 2400; now++) {
    sampler_clock(now);
    drain(30);
    uint16_t was_queued = queued;
    uint32_t was = wire_len;
    slot_sender_poll(now, 70, big_extra);
    int marked = 0; /* a slot went out in this poll (a 0x54 report alone is small, and may go any time) */
    for (uint32_t i = was; i + 1 < wire_len; i++) marked |= wire[i] == 0xF0 && wire[i + 1] == 0x0C;
    if (marked) *(was_queued ? &sent_into_busy : &sent_into_empty) += 1;
  }
  CHECK(sent_into_empty > 20 && sent_into_busy == 0, "oversized slots sent into an empty buffer %d, a busy one %d",
        sent_into_empty, sent_into_busy);

  /* A slot that fits the buffer only without its report (58 B + 18 B, as 16 channels on the Mega's 63 B):
     the report goes first on its own, and nothing waits. */
  extra_len = 40;
  sampler_set_channels(0xF);
  overfull_writes = 0;
  int reports_before = reports;
  for (uint32_t end = now + 1000; now <= end; now++) {
    sampler_clock(now);
    drain(30);
    slot_sender_poll(now, 40, big_extra);
  }
  CHECK(overfull_writes == 0, "slot and report apart: %d writes waited", overfull_writes);
  CHECK(reports - reports_before >= 9, "losses still reported: %d reports in 1 s", reports - reports_before);

  /* A HAL whose writes wait by design: every slot goes, none is counted lost. */
  unlimited = 1;
  slot_sender_poll(now, 70, big_extra); /* what the ring still holds */
  wire_len = 0;
  sampler_set_channels(0xF);
  for (uint32_t t = 0; t < 500; t++) {
    now++;
    sampler_clock(now);
    slot_sender_poll(now, 0, 0);
  }
  w = read_wire(4, 1);
  CHECK(w.marks >= 499 && w.gaps == 0 && w.torn == 0, "blocking HAL: %u slots, %u lost, %d torn", w.marks, w.gaps, w.torn);
  return check_report("slot sender");
}
