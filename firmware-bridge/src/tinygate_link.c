#include "tinygate_link.h"

#include <string.h>

#include "crc32.h"
#include "firmata.h"
#include "hal.h"
#include "model_store.h"
#include "pack7.h"
#include "tg_config.h"
#ifdef TG_WITH_RUNTIME
#include "tg_runtime.h"
#include "tg_runtime_link.h"
#include "tg_stream.h"
#endif

#define BODY_MAX PACK7_UNPACKED_LEN(TG_SYSEX_BUFFER_BYTES)
#define BOARD_ID_MAX 24

typedef void (*tg_command_t)(const uint8_t *body, uint16_t len);

static uint8_t body[BODY_MAX];

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

void tg_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

uint32_t tg_get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Streams bytes through the 8->7 packer straight into the SysEx being sent. */
typedef struct {
  uint16_t acc;
  uint8_t bits;
} packer_t;

static void pack_byte(packer_t *p, uint8_t b) {
  p->acc |= (uint16_t)((uint16_t)b << p->bits);
  p->bits += 8;
  while (p->bits >= 7) {
    firmata_sysex_byte((uint8_t)(p->acc & 0x7F));
    p->acc >>= 7;
    p->bits -= 7;
  }
}

/* A reply sent in pieces: begin with the first bytes, more, end (the CRC). One reply at a time. */
static packer_t reply_packer;
static uint32_t reply_crc;

void tinygate_reply_begin(uint8_t reply, const uint8_t *data, uint16_t len) {
  reply_packer.acc = 0;
  reply_packer.bits = 0;
  reply_crc = crc32_update(0, &reply, 1);
  firmata_sysex_begin(TG_SYSEX_ID);
  firmata_sysex_byte(reply);
  tinygate_reply_more(data, len);
}

void tinygate_reply_more(const uint8_t *data, uint16_t len) {
  reply_crc = crc32_update(reply_crc, data, len);
  for (uint16_t i = 0; i < len; i++) pack_byte(&reply_packer, data[i]);
}

void tinygate_reply_end(void) {
  uint8_t crc[4];
  tg_put32(crc, reply_crc);
  for (uint8_t i = 0; i < 4; i++) pack_byte(&reply_packer, crc[i]);
  if (reply_packer.bits > 0) firmata_sysex_byte((uint8_t)(reply_packer.acc & 0x7F));
  firmata_sysex_end();
}

void tinygate_reply(uint8_t reply, const uint8_t *data, uint16_t len) {
  tinygate_reply_begin(reply, data, len);
  tinygate_reply_end();
}

static void reply_error(uint8_t command, uint8_t code) {
  uint8_t b[2] = {command, code};
  tinygate_reply(TG_REPLY_ERROR, b, sizeof b);
}

static void cmd_board_info(const uint8_t *in, uint16_t n) {
  (void)in;
  (void)n;
  const hal_board_t *b = hal_board();
  uint8_t out[34 + BOARD_ID_MAX];
  uint16_t tensors = 0, ops = 0, channel_params = 0;
  size_t id_len = strlen(b->board_id);
  if (id_len > BOARD_ID_MAX) id_len = BOARD_ID_MAX;
  out[0] = TG_PROTOCOL_VERSION;
  out[1] = TG_FIRMWARE_MAJOR;
  out[2] = TG_FIRMWARE_MINOR;
  out[3] = TG_FIRMWARE_PATCH;
  tg_put32(out + 4, b->flash_bytes);
  tg_put32(out + 8, b->ram_bytes);
  tg_put32(out + 12, b->arena_bytes);
  put16(out + 16, b->rx_buffer_bytes);
  put16(out + 18, TG_SYSEX_BUFFER_BYTES);
  tg_put32(out + 20, model_store_slot_capacity());
  out[24] = TG_SLOTS;
  out[25] = model_store_slot_capacity() ? TG_FEATURE_MODEL_STORE : 0;
#ifdef TG_WITH_RUNTIME
  out[25] |= TG_FEATURE_RUNTIME;
#endif
  out[26] = (uint8_t)id_len;
  memcpy(out + 27, b->board_id, id_len);
#ifdef TG_WITH_RUNTIME
  tg_runtime_limits(&tensors, &ops, &channel_params);
#endif
  put16(out + 27 + id_len, tensors);
  put16(out + 29 + id_len, ops);
  put16(out + 31 + id_len, channel_params);
  /* Then the op codes the runtime has kernels for: u8 count, u16 each (streamed, not buffered). */
  uint8_t kernels = 0;
#ifdef TG_WITH_RUNTIME
  kernels = tg_runtime_kernel_count();
#endif
  out[33 + id_len] = kernels;
  tinygate_reply_begin(TG_REPLY_BOARD_INFO, out, (uint16_t)(34 + id_len));
#ifdef TG_WITH_RUNTIME
  for (uint8_t k = 0; k < kernels; k++) {
    uint8_t code[2];
    put16(code, tg_runtime_kernel_code(k));
    tinygate_reply_more(code, 2);
  }
#endif
  tinygate_reply_end();
}

static void cmd_model_info(const uint8_t *in, uint16_t n) {
  (void)in;
  (void)n;
  uint8_t out[2 + 13 * TG_SLOTS];
  out[0] = TG_SLOTS;
  out[1] = model_store_active_slot();
  for (uint8_t i = 0; i < TG_SLOTS; i++) {
    tg_slot_info_t s;
    model_store_slot_info(i, &s);
    uint8_t *p = out + 2 + 13 * i;
    p[0] = s.state;
    tg_put32(p + 1, s.length);
    tg_put32(p + 5, s.crc32);
    tg_put32(p + 9, s.sequence);
  }
  tinygate_reply(TG_REPLY_MODEL_INFO, out, sizeof out);
}

static void reply_transfer_state(uint8_t status) {
  uint8_t out[15];
  out[0] = status;
  out[1] = model_store_receiving();
  out[2] = model_store_target_slot();
  tg_put32(out + 3, model_store_expected_length());
  tg_put32(out + 7, model_store_expected_crc());
  tg_put32(out + 11, model_store_received());
  tinygate_reply(TG_REPLY_TRANSFER_STATE, out, sizeof out);
}

static void cmd_begin(const uint8_t *in, uint16_t n) {
  if (n < 8) {
    reply_error(TG_CMD_TRANSFER_BEGIN, TG_ERROR_MALFORMED);
    return;
  }
  reply_transfer_state((uint8_t)model_store_begin(tg_get32(in), tg_get32(in + 4)));
}

static void reply_ack(void) {
  uint8_t out[4];
  tg_put32(out, model_store_received());
  tinygate_reply(TG_REPLY_CHUNK_ACK, out, sizeof out);
}

static void reply_nak(uint8_t reason) {
  uint8_t out[5];
  tg_put32(out, model_store_received());
  out[4] = reason;
  tinygate_reply(TG_REPLY_CHUNK_NAK, out, sizeof out);
}

/* Body: u32 offset, data. Chunks are taken only in order; anything else is answered with a NAK
   naming the offset the board wants, so the gateway can go back to it. */
static void cmd_chunk(const uint8_t *in, uint16_t n) {
  if (n < 5) {
    reply_nak(TG_ERR_CRC);
    return;
  }
  if (!model_store_receiving()) {
    reply_nak(TG_ERR_NO_TRANSFER);
    return;
  }
  uint32_t offset = tg_get32(in);
  const uint8_t *data = in + 4;
  uint32_t len = (uint32_t)(n - 4);
  uint32_t expected = model_store_received();
  if (offset > expected) {
    reply_nak(TG_ERR_OFFSET);
    return;
  }
  if (offset + len <= expected) { /* a retransmission of what we have: confirm again */
    reply_ack();
    return;
  }
  data += expected - offset;
  len -= expected - offset;
  int status = model_store_write(expected, data, len);
  if (status != TG_OK) {
    reply_nak((uint8_t)status);
    return;
  }
  reply_ack();
}

static void cmd_commit(const uint8_t *in, uint16_t n) {
  if (n < 4) {
    reply_error(TG_CMD_TRANSFER_COMMIT, TG_ERROR_MALFORMED);
    return;
  }
  tg_slot_info_t s;
  memset(&s, 0, sizeof s);
  uint8_t slot = model_store_target_slot();
  int status = model_store_commit(tg_get32(in), &s);
#ifdef TG_WITH_RUNTIME
  if (status == TG_OK) tg_runtime_reload_active(); /* the new model runs from now on */
#endif
  uint8_t out[14];
  out[0] = (uint8_t)status;
  out[1] = slot;
  tg_put32(out + 2, s.length);
  tg_put32(out + 6, s.crc32);
  tg_put32(out + 10, s.sequence);
  tinygate_reply(TG_REPLY_COMMIT, out, sizeof out);
}

static void cmd_abort(const uint8_t *in, uint16_t n) {
  (void)in;
  (void)n;
  model_store_abort();
  reply_transfer_state(TG_OK);
}

static void cmd_query(const uint8_t *in, uint16_t n) {
  (void)in;
  (void)n;
  reply_transfer_state(TG_OK);
}

/* Adding a command is one entry (the runtime adds TG_CMD_RUN_INFERENCE and friends here). */
static const struct {
  uint8_t command;
  tg_command_t handle;
} COMMANDS[] = {
    {TG_CMD_BOARD_INFO, cmd_board_info},         {TG_CMD_MODEL_INFO, cmd_model_info},
    {TG_CMD_TRANSFER_BEGIN, cmd_begin},          {TG_CMD_TRANSFER_CHUNK, cmd_chunk},
    {TG_CMD_TRANSFER_COMMIT, cmd_commit},        {TG_CMD_TRANSFER_ABORT, cmd_abort},
    {TG_CMD_TRANSFER_QUERY, cmd_query},
#ifdef TG_WITH_RUNTIME
    {TG_CMD_RUN_INFERENCE, tg_cmd_run_inference},  {TG_CMD_RUNTIME_STATUS, tg_cmd_runtime_status},
    {TG_CMD_STREAM_START, tg_cmd_stream_start},    {TG_CMD_STREAM_STOP, tg_cmd_stream_stop},
#endif
};

void tinygate_sysex(const uint8_t *data, uint16_t len) {
  if (len < 1) return;
  uint8_t command = data[0];
  uint8_t intact = 1;
  for (uint16_t i = 0; i < len; i++) intact &= data[i] < 0x80; /* a status byte inside: bytes were hit */
  uint16_t n = intact ? unpack7(data + 1, (uint16_t)(len - 1), body) : 0;
  /* Every message ends with the CRC-32 of its command byte and body: never act on a damaged one. */
  if (!intact || n < 4 || crc32_update(crc32_update(0, &command, 1), body, (size_t)(n - 4)) != tg_get32(body + n - 4)) {
    if (command == TG_CMD_TRANSFER_CHUNK) reply_nak(TG_ERR_CRC); /* tell the gateway to go back at once */
    return; /* other commands: the gateway asks again when no answer comes */
  }
  n = (uint16_t)(n - 4);
  for (uint8_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
    if (COMMANDS[i].command == command) {
      COMMANDS[i].handle(body, n);
      return;
    }
  }
  reply_error(command, TG_ERROR_UNKNOWN_COMMAND);
}
