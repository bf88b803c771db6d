/*
 * Two model slots (A/B) on the HAL's store medium. A slot's commit record is written last, after
 * its data was read back and checked, so power loss at any moment leaves the previous model
 * valid; boot picks the valid slot with the highest sequence. Transfers always target the slot
 * that is not active, and keep their progress in flash so they can resume after a restart.
 */
#ifndef TG_MODEL_STORE_H
#define TG_MODEL_STORE_H

#include <stdint.h>

#define TG_SLOTS 2
#define TG_NO_SLOT 0xFF

enum { TG_SLOT_EMPTY = 0, TG_SLOT_VALID = 1, TG_SLOT_INVALID = 2, TG_SLOT_RECEIVING = 3 };

/* Status codes shared with the wire protocol (docs/protocol.md). */
enum {
  TG_OK = 0,
  TG_ERR_TOO_LARGE = 1,
  TG_ERR_EMPTY = 2,
  TG_ERR_NO_TRANSFER = 3,
  TG_ERR_OFFSET = 4,
  TG_ERR_INCOMPLETE = 5,
  TG_ERR_CRC = 6,
  TG_ERR_STORE = 7,
};

typedef struct {
  uint8_t state;
  uint32_t length;
  uint32_t crc32;
  uint32_t sequence;
} tg_slot_info_t;

/* The active model as the int8 runtime sees it: read-only. */
typedef struct {
  uint8_t slot;
  uint32_t length;
  uint32_t crc32;
  uint32_t sequence;
  const uint8_t *data; /* the bytes when the medium is memory-mapped, else NULL: use model_store_read */
} tg_model_view_t;

/* Scan both slots (boot). Returns TG_OK or TG_ERR_STORE when the medium is too small. */
int model_store_init(void);

uint32_t model_store_slot_capacity(void);
void model_store_slot_info(uint8_t slot, tg_slot_info_t *out);
uint8_t model_store_active_slot(void);

/* Read-only access for the runtime: the active slot's bytes. */
int model_store_active(tg_model_view_t *out);
int model_store_read(uint32_t offset, void *data, uint32_t len);

/* Transfer into the inactive slot. begin resumes a matching interrupted transfer. */
int model_store_begin(uint32_t length, uint32_t crc32);
uint8_t model_store_receiving(void);
uint8_t model_store_target_slot(void);
uint32_t model_store_expected_length(void);
uint32_t model_store_expected_crc(void);
uint32_t model_store_received(void);
int model_store_write(uint32_t offset, const uint8_t *data, uint32_t len);
int model_store_commit(uint32_t crc32, tg_slot_info_t *out);
void model_store_abort(void);

#endif
