/*
 * Sends the sample slots the sampler took (src/sampler.h) without ever blocking on the link: a slot goes out
 * whole (its mark, its analog reports, its continuous I2C reads) only when hal_uart_tx_room() says the link
 * takes all of it now; otherwise it waits in the ring, and a slot the full ring cannot take is lost there and
 * counted. Lost slots show as a jump in the marks and are summed up in 0x54 reports (docs/protocol.md).
 * Replies to the gateway's requests do not pass through here: they are written whole, waiting for the link.
 */
#ifndef TG_SLOT_SENDER_H
#define TG_SLOT_SENDER_H

#include <stdint.h>

/* A new stream of slots (reporting switched on, a Firmata reset): no gap is counted before its first slot. */
void slot_sender_restart(void);

/* Sends the slots waiting in the sampler's ring, oldest first, as far as the link takes them now. `extra`
   (may be NULL) writes what else belongs to each slot, at most `extra_bytes` bytes, after its analog reports. */
void slot_sender_poll(uint32_t now_ms, uint16_t extra_bytes, void (*extra)(void));

/* Bytes of one 0x54 report on the wire: F0 0D 54, 8 body + 4 CRC bytes packed 8->7, F7. */
#define SLOT_SKIP_REPORT_BYTES 18u

#endif
