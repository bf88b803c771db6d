/*
 * The runtime's SysEx commands (docs/protocol.md): runtime status, and run one inference on input
 * bytes the gateway sends in chunks. Also reloads the runtime when the active model changes.
 */
#include "tg_runtime_link.h"

#include <string.h>

#include "hal.h"
#include "model_store.h"
#include "tg_config.h"
#include "tg_runtime.h"
#include "tg_stream.h"
#include "tinygate_link.h"

/* Bytes of RAM for a copy of the active model when the store is not memory-mapped (0: none). */
#ifndef TG_MODEL_RAM_BYTES
#define TG_MODEL_RAM_BYTES 0
#endif

#ifndef TG_RUNTIME_REPLY_BYTES
#define TG_RUNTIME_REPLY_BYTES 4096
#endif

enum { INFER_DONE = 0, INFER_PART = 1, INFER_NO_MODEL = 2, INFER_BAD_CHUNK = 3, INFER_FAILED = 4, INFER_TOO_BIG = 5 };

static uint8_t reply[TG_RUNTIME_REPLY_BYTES];

void tg_runtime_reload_active(void) {
  tg_model_view_t view;
  tg_stream_reset(); /* a new model has another input: the stream's settings no longer apply */
  if (model_store_active(&view) != 0) {
    tg_runtime_load(0, 0);
    return;
  }
  /* The runtime reads weights in place from a memory-mapped store (flash, a file, RAM)... */
  if (view.data) {
    tg_runtime_load(view.data, view.length);
    return;
  }
#if TG_MODEL_RAM_BYTES > 0
  /* ...or, where the store is not mapped (an AVR's EEPROM), from a copy in RAM. */
  static uint8_t copy[TG_MODEL_RAM_BYTES];
  if (view.length > sizeof copy) {
    tg_runtime_load(0, 0);
    tg_runtime_refuse("model larger than this board's model RAM");
    return;
  }
  if (model_store_read(0, copy, view.length) == 0) {
    tg_runtime_load(copy, view.length);
    return;
  }
#endif
  tg_runtime_load(0, 0);
}

void tg_cmd_runtime_status(const uint8_t *in, uint16_t n) {
  (void)in;
  (void)n;
  uint32_t out_len = 0;
  tg_runtime_output(&out_len);
  const char *err = tg_runtime_error();
  size_t err_len = strlen(err);
  if (err_len > 95) err_len = 95;
  reply[0] = tg_runtime_state();
  tg_put32(reply + 1, tg_runtime_arena_used());
  reply[5] = (uint8_t)tg_runtime_op_count();
  reply[6] = (uint8_t)(tg_runtime_op_count() >> 8);
  tg_put32(reply + 7, tg_runtime_input_bytes());
  tg_put32(reply + 11, out_len);
  reply[15] = (uint8_t)err_len;
  memcpy(reply + 16, err, err_len);
  tinygate_reply(TG_REPLY_RUNTIME_STATUS, reply, (uint16_t)(16 + err_len));
}

static void infer_status(uint8_t status) {
  reply[0] = status;
  tg_put32(reply + 1, 0);
  tinygate_reply(TG_REPLY_INFERENCE, reply, 5);
}

/* Body: u8 flags (bit 0: last chunk, run now), u16 offset, input bytes. */
void tg_cmd_run_inference(const uint8_t *in, uint16_t n) {
  if (tg_runtime_state() != TG_RUNTIME_READY) {
    infer_status(INFER_NO_MODEL);
    return;
  }
  if (n < 3) {
    infer_status(INFER_BAD_CHUNK);
    return;
  }
  uint8_t last = in[0] & 1;
  uint32_t offset = (uint32_t)in[1] | ((uint32_t)in[2] << 8);
  uint32_t len = (uint32_t)(n - 3);
  uint32_t size = tg_runtime_input_bytes();
  if (offset > size || len > size - offset) {
    infer_status(INFER_BAD_CHUNK);
    return;
  }
  memcpy(tg_runtime_input() + offset, in + 3, len);
  if (!last) {
    infer_status(INFER_PART);
    return;
  }
  uint32_t out_len = 0;
  tg_runtime_output(&out_len);
  if (out_len + 5 > sizeof reply) {
    infer_status(INFER_TOO_BIG);
    return;
  }
  uint32_t started = hal_micros();
  int ok = tg_runtime_invoke();
  uint32_t took = hal_micros() - started;
  if (ok != 0) {
    infer_status(INFER_FAILED);
    return;
  }
  const uint8_t *out = tg_runtime_output(&out_len);
  reply[0] = INFER_DONE;
  tg_put32(reply + 1, took);
  memcpy(reply + 5, out, out_len);
  tinygate_reply(TG_REPLY_INFERENCE, reply, (uint16_t)(5 + out_len));
}
