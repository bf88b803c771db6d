#include "slot_sender.h"

#include "hal.h"
#include "sampler.h"
#include "tg_config.h"
#include "tinygate_link.h"

#define ANALOG_MESSAGE 0xE0
#define MARK_BYTES 6u
#define ANALOG_BYTES 3u

static uint32_t last_slot;    /* the latest slot sent, or counted lost */
static uint8_t streaming;     /* a slot of this stream has been sent */
static uint32_t unreported;   /* slots lost since the latest 0x54 report */
static uint32_t lost_counter; /* the number of the latest of them */
static uint32_t reported_ms;  /* when the latest 0x54 report went */
static uint8_t reported_any;
static uint16_t room_most;    /* the most room the link ever had: its whole transmit buffer */

void slot_sender_restart(void) { streaming = 0; }

/* Board -> gateway 0x54: `u32` slots lost since the previous report, `u32` the number of the latest of them. */
static void report_skipped(uint32_t now_ms) {
  uint8_t body[8];
  tg_put32(body, unreported);
  tg_put32(body + 4, lost_counter);
  tinygate_reply(TG_REPLY_SAMPLES_SKIPPED, body, sizeof body);
  unreported = 0;
  reported_ms = now_ms;
  reported_any = 1;
}

/* At most one report per TG_SKIP_REPORT_MS: on a link slower than the sampling, a report per gap would
   take more of the link than the slots it reports. */
static uint8_t report_due(uint32_t now_ms) {
  return unreported && (!reported_any || (uint32_t)(now_ms - reported_ms) >= TG_SKIP_REPORT_MS);
}

/* Whether `need` bytes go out now without blocking; a message bigger than the whole buffer goes when it is empty. */
static uint8_t fits(uint16_t need, uint16_t room) {
  if (room > room_most) room_most = room;
  return need <= room || (need > room_most && room == room_most);
}

static void send_mark(uint32_t number) {
  uint8_t m[6] = {0xF0, TG_SAMPLE_MARK_ID, (uint8_t)(number & 0x7F), (uint8_t)((number >> 7) & 0x7F),
                  (uint8_t)((number >> 14) & 0x7F), 0xF7};
  hal_uart_write(m, sizeof m);
}

static void send_slot(const sample_entry_t *e) {
  send_mark(e->slot);
  uint8_t n = 0;
  for (uint8_t channel = 0; channel < 16; channel++) {
    if (!(e->channels & (1u << channel))) continue;
    uint16_t v = e->value[n++];
    uint8_t m[3] = {(uint8_t)(ANALOG_MESSAGE | channel), (uint8_t)(v & 0x7F), (uint8_t)((v >> 7) & 0x7F)};
    hal_uart_write(m, sizeof m);
  }
}

void slot_sender_poll(uint32_t now_ms, uint16_t extra_bytes, void (*extra)(void)) {
  const sample_entry_t *e;
  /* At most a ring of slots per call, so that the loop gets back to the gateway's commands. */
  for (uint16_t sent = 0; sent < TG_SAMPLE_RING && (e = sampler_peek()) != 0; sent++) {
    if (streaming && e->slot != last_slot + 1) { /* the ring was full: these slots were never kept */
      unreported += e->slot - last_slot - 1;
      lost_counter = e->slot - 1;
      last_slot = e->slot - 1;
    }
    /* The report goes first, as a message of its own, so that slot and report need not fit at once. */
    if (report_due(now_ms)) {
      if (!fits(SLOT_SKIP_REPORT_BYTES, hal_uart_tx_room())) break;
      report_skipped(now_ms);
    }
    uint16_t need = (uint16_t)(MARK_BYTES + extra_bytes);
    for (uint16_t c = e->channels; c; c &= (uint16_t)(c - 1)) need = (uint16_t)(need + ANALOG_BYTES);
    if (!fits(need, hal_uart_tx_room())) break; /* it waits in the ring */
    send_slot(e);
    if (extra) extra();
    last_slot = e->slot;
    streaming = 1;
    sampler_pop();
  }
  /* A report held back by the rate limit goes when due, even if no slot follows it. */
  if (report_due(now_ms) && fits(SLOT_SKIP_REPORT_BYTES, hal_uart_tx_room())) report_skipped(now_ms);
}
