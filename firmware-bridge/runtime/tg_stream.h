/*
 * Streaming mode: the board samples its own analog channels, cuts overlapping windows, runs the active
 * model on each and sends the gateway a score (docs/protocol.md, commands 0x11/0x12, reply 0x51).
 */
#ifndef TG_STREAM_H
#define TG_STREAM_H

#include <stdint.h>

void tg_cmd_stream_start(const uint8_t *in, uint16_t n);
void tg_cmd_stream_stop(const uint8_t *in, uint16_t n);
/* Call from the main loop: samples when due, scores when a window is complete. */
void tg_stream_poll(void);
/* Stop streaming (a new model was committed, or the runtime reloaded). */
void tg_stream_reset(void);

#endif
