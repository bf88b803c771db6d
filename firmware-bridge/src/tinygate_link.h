/*
 * The tinygate SysEx extension: board info, model info and the model transfer. Every message
 * is F0 <TG_SYSEX_ID> <command> <packed 8->7: body, CRC-32 of command and body> F7, bodies
 * little-endian; docs/protocol.md describes each byte. Commands are dispatched through one table (tinygate_link.c).
 */
#ifndef TG_TINYGATE_LINK_H
#define TG_TINYGATE_LINK_H

#include <stdint.h>

#define TG_SYSEX_ID 0x0D
/* Sample marks (src/sampler.h): a SysEx of their own, unframed, 6 bytes a slot beside the analog reports. */
#define TG_SAMPLE_MARK_ID 0x0C
#define TG_PROTOCOL_VERSION 2

/* Gateway -> board. */
#define TG_CMD_BOARD_INFO 0x01
#define TG_CMD_MODEL_INFO 0x02
#define TG_CMD_TRANSFER_BEGIN 0x03
#define TG_CMD_TRANSFER_CHUNK 0x04
#define TG_CMD_TRANSFER_COMMIT 0x05
#define TG_CMD_TRANSFER_ABORT 0x06
#define TG_CMD_TRANSFER_QUERY 0x07
/* The on-board int8 runtime (firmware-bridge/runtime/, builds with TG_WITH_RUNTIME). */
#define TG_CMD_RUN_INFERENCE 0x10
#define TG_CMD_STREAM_START 0x11
#define TG_CMD_STREAM_STOP 0x12
#define TG_CMD_RUNTIME_STATUS 0x13

/* Board -> gateway. */
#define TG_REPLY_BOARD_INFO 0x41
#define TG_REPLY_MODEL_INFO 0x42
#define TG_REPLY_TRANSFER_STATE 0x43
#define TG_REPLY_CHUNK_ACK 0x44
#define TG_REPLY_COMMIT 0x45
#define TG_REPLY_CHUNK_NAK 0x4E
#define TG_REPLY_INFERENCE 0x50
#define TG_REPLY_SCORE 0x51
#define TG_REPLY_RUNTIME_STATUS 0x53
#define TG_REPLY_SAMPLES_SKIPPED 0x54 /* unsolicited: src/slot_sender.c */
#define TG_REPLY_ERROR 0x7F

/* TG_REPLY_ERROR codes. */
#define TG_ERROR_UNKNOWN_COMMAND 1
#define TG_ERROR_MALFORMED 2

/* Feature bits of board info. */
#define TG_FEATURE_MODEL_STORE 0x01
#define TG_FEATURE_RUNTIME 0x02

/* Called by the Firmata SysEx table with the bytes after TG_SYSEX_ID. */
void tinygate_sysex(const uint8_t *data, uint16_t len);

/* Reply helper for command handlers (also for the runtime's): appends the CRC, packs and sends. */
void tinygate_reply(uint8_t reply, const uint8_t *body, uint16_t len);
/* The same reply in pieces, for bodies not held in one buffer: begin, more (any number), end. */
void tinygate_reply_begin(uint8_t reply, const uint8_t *body, uint16_t len);
void tinygate_reply_more(const uint8_t *body, uint16_t len);
void tinygate_reply_end(void);

/* Little-endian 32-bit fields of message bodies. */
void tg_put32(uint8_t *p, uint32_t v);
uint32_t tg_get32(const uint8_t *p);

#endif
