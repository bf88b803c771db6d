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

enum {
  INFER_DONE = 0,
  INFER_PART = 1,
  INFER_NO_MODEL = 2,
  INFER_BAD_CHUNK = 3,
  INFER_FAILED = 4,
  INFER_TOO_BIG = 5,
  INFER_RUNNING = 6
};

static uint8_t reply[TG_RUNTIME_REPLY_BYTES];
/* The latest finished inference's request id and reply length while `reply` still holds it: a request sent
   again (its answer was late, not lost) gets the same answer, not a second run. */
static uint8_t done_id;
static uint16_t done_len;

void tg_runtime_reload_active(void) {
  tg_model_view_t view;
  done_len = 0;
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
  done_len = 0;
  reply[0] = tg_runtime_state();
  tg_put32(reply + 1, tg_runtime_arena_used());
  reply[5] = (uint8_t)tg_runtime_op_count();
  reply[6] = (uint8_t)(tg_runtime_op_count() >> 8);
  tg_put32(reply + 7, tg_runtime_input_bytes());
  tg_put32(reply + 11, out_len);
  reply[15] = (uint8_t)err_len;
  memcpy(reply + 16, err, err_len);
  /* Then the bytes of the arena the model's tables take (beside the activations above). */
  tg_put32(reply + 16 + err_len, tg_runtime_tables_used());
  tinygate_reply(TG_REPLY_RUNTIME_STATUS, reply, (uint16_t)(20 + err_len));
}

/* `value`: for a chunk taken, the offset the next chunk starts at (so an answer to a resent chunk is never
   taken for the next one's); 0 otherwise. */
static void infer_status(uint8_t status, uint8_t id, uint32_t value) {
  done_len = 0;
  reply[0] = status;
  reply[1] = id;
  tg_put32(reply + 2, value);
  tinygate_reply(TG_REPLY_INFERENCE, reply, 6);
}

/* Body: u8 flags (bit 0: last chunk, run now), u8 request id, u16 offset, input bytes. Every reply echoes
   the id, so the gateway never takes one request's answer for another's. */
void tg_cmd_run_inference(const uint8_t *in, uint16_t n) {
  if (n < 4) {
    infer_status(INFER_BAD_CHUNK, n >= 2 ? in[1] : 0, 0);
    return;
  }
  uint8_t last = in[0] & 1;
  uint8_t id = in[1];
  if (last && done_len && id == done_id) {
    tinygate_reply(TG_REPLY_INFERENCE, reply, done_len);
    return;
  }
  if (tg_runtime_state() != TG_RUNTIME_READY) {
    infer_status(INFER_NO_MODEL, id, 0);
    return;
  }
  uint32_t offset = (uint32_t)in[2] | ((uint32_t)in[3] << 8);
  uint32_t len = (uint32_t)(n - 4);
  uint32_t size = tg_runtime_input_bytes();
  if (offset > size || len > size - offset) {
    infer_status(INFER_BAD_CHUNK, id, 0);
    return;
  }
  memcpy(tg_runtime_input() + offset, in + 4, len);
  if (!last) {
    infer_status(INFER_PART, id, offset + len);
    return;
  }
  uint32_t out_len = 0;
  tg_runtime_output(&out_len);
  if (out_len + 6 > sizeof reply) {
    infer_status(INFER_TOO_BIG, id, 0);
    return;
  }
  /* Say it started: the gateway then waits for the answer instead of sending the request again. */
  infer_status(INFER_RUNNING, id, 0);
  uint32_t started = hal_micros();
  int ok = tg_runtime_invoke();
  uint32_t took = hal_micros() - started;
  if (ok != 0) {
    infer_status(INFER_FAILED, id, 0);
    return;
  }
  const uint8_t *out = tg_runtime_output(&out_len);
  reply[0] = INFER_DONE;
  reply[1] = id;
  tg_put32(reply + 2, took);
  memcpy(reply + 6, out, out_len);
  done_id = id;
  done_len = (uint16_t)(6 + out_len);
  tinygate_reply(TG_REPLY_INFERENCE, reply, done_len);
}
