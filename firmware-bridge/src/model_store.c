#include "model_store.h"

#include <string.h>

#include "crc32.h"
#include "hal.h"
#include "tg_config.h"

/*
 * Slot layout (offsets within the slot):
 *   0   commit record  (32 B)  magic "TGM1", length, crc32, sequence, ..., record crc; written last
 *   32  pending record (32 B)  magic "TGP1", length, crc32, block bytes, ..., record crc; written at begin
 *   64  progress cells         cell i all-zero = the first (i+1) blocks of data are stored
 *   TG_SLOT_HEADER_BYTES       model data
 */
#define COMMIT_MAGIC 0x314D4754UL  /* "TGM1" little-endian */
#define PENDING_MAGIC 0x31504754UL /* "TGP1" little-endian */
#define COMMIT_AT 0u
#define PENDING_AT TG_RECORD_BYTES
#define CELLS_AT (2u * TG_RECORD_BYTES)
#define DATA_AT TG_SLOT_HEADER_BYTES

typedef struct {
  uint32_t magic;
  uint32_t length;
  uint32_t crc32;
  uint32_t extra; /* commit: sequence; pending: progress block bytes */
} record_t;

static uint32_t slot_bytes;
static tg_slot_info_t slots[TG_SLOTS];
static uint8_t active = TG_NO_SLOT;

/* The transfer in progress (RAM copy of the pending record plus progress). */
static uint8_t target = TG_NO_SLOT;
static uint32_t rx_length, rx_crc, rx_block, rx_received;
static uint16_t rx_cells_done;

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t slot_base(uint8_t slot) { return (uint32_t)slot * slot_bytes; }

/* A record is valid when its magic matches and its CRC covers the first 28 bytes. */
static int read_record(uint8_t slot, uint32_t at, uint32_t magic, record_t *out) {
  uint8_t raw[TG_RECORD_BYTES];
  if (hal_store_read(slot_base(slot) + at, raw, sizeof raw) != 0) return 0;
  if (rd32(raw) != magic) return 0;
  if (crc32_update(0, raw, TG_RECORD_BYTES - 4) != rd32(raw + TG_RECORD_BYTES - 4)) return 0;
  out->magic = magic;
  out->length = rd32(raw + 4);
  out->crc32 = rd32(raw + 8);
  out->extra = rd32(raw + 12);
  return out->length > 0 && out->length <= model_store_slot_capacity();
}

static int write_record(uint8_t slot, uint32_t at, const record_t *r) {
  uint8_t raw[TG_RECORD_BYTES];
  memset(raw, 0xFF, sizeof raw);
  wr32(raw, r->magic);
  wr32(raw + 4, r->length);
  wr32(raw + 8, r->crc32);
  wr32(raw + 12, r->extra);
  wr32(raw + TG_RECORD_BYTES - 4, crc32_update(0, raw, TG_RECORD_BYTES - 4));
  return hal_store_program(slot_base(slot) + at, raw, sizeof raw);
}

static int is_erased(uint8_t slot, uint32_t at, uint32_t len) {
  uint8_t buf[16];
  while (len) {
    uint32_t n = len < sizeof buf ? len : sizeof buf;
    if (hal_store_read(slot_base(slot) + at, buf, n) != 0) return 0;
    for (uint32_t i = 0; i < n; i++)
      if (buf[i] != 0xFF) return 0;
    at += n;
    len -= n;
  }
  return 1;
}

static uint32_t data_crc(uint8_t slot, uint32_t length) {
  uint8_t buf[32];
  uint32_t crc = 0, at = slot_base(slot) + DATA_AT;
  while (length) {
    uint32_t n = length < sizeof buf ? length : sizeof buf;
    if (hal_store_read(at, buf, n) != 0) return ~crc; /* an unreadable medium never matches */
    crc = crc32_update(crc, buf, n);
    at += n;
    length -= n;
  }
  return crc;
}

static uint16_t cells_for(uint32_t length, uint32_t block) {
  return (uint16_t)((length + block - 1) / block);
}

static int cell_done(uint8_t slot, uint16_t cell) {
  uint8_t buf[TG_PROGRESS_CELL_BYTES];
  if (hal_store_read(slot_base(slot) + CELLS_AT + (uint32_t)cell * TG_PROGRESS_CELL_BYTES, buf, sizeof buf) != 0)
    return 0;
  for (uint16_t i = 0; i < sizeof buf; i++)
    if (buf[i] != 0x00) return 0; /* a torn cell counts as not done: its block is sent again */
  return 1;
}

static void scan_slot(uint8_t slot) {
  record_t r;
  tg_slot_info_t *s = &slots[slot];
  memset(s, 0, sizeof *s);
  if (read_record(slot, COMMIT_AT, COMMIT_MAGIC, &r)) {
    s->length = r.length;
    s->crc32 = r.crc32;
    s->sequence = r.extra;
    s->state = data_crc(slot, r.length) == r.crc32 ? TG_SLOT_VALID : TG_SLOT_INVALID;
    return;
  }
  if (read_record(slot, PENDING_AT, PENDING_MAGIC, &r) && r.extra > 0 &&
      cells_for(r.length, r.extra) <= TG_PROGRESS_CELLS) {
    s->state = TG_SLOT_RECEIVING;
    s->length = r.length;
    s->crc32 = r.crc32;
    if (target == TG_NO_SLOT) {
      uint16_t done = 0, total = cells_for(r.length, r.extra);
      while (done < total && cell_done(slot, done)) done++;
      target = slot;
      rx_length = r.length;
      rx_crc = r.crc32;
      rx_block = r.extra;
      rx_cells_done = done;
      rx_received = (uint32_t)done * r.extra;
      if (rx_received > rx_length) rx_received = rx_length;
    }
    return;
  }
  s->state = is_erased(slot, COMMIT_AT, TG_RECORD_BYTES) ? TG_SLOT_EMPTY : TG_SLOT_INVALID;
}

static void pick_active(void) {
  active = TG_NO_SLOT;
  for (uint8_t i = 0; i < TG_SLOTS; i++) {
    if (slots[i].state != TG_SLOT_VALID) continue;
    if (active == TG_NO_SLOT || slots[i].sequence > slots[active].sequence) active = i;
  }
}

int model_store_init(void) {
  uint32_t page = hal_store_page_bytes();
  slot_bytes = page ? (hal_store_bytes() / TG_SLOTS) / page * page : 0;
  target = TG_NO_SLOT;
  active = TG_NO_SLOT;
  if (slot_bytes <= DATA_AT) {
    slot_bytes = 0;
    return TG_ERR_STORE;
  }
  for (uint8_t i = 0; i < TG_SLOTS; i++) scan_slot(i);
  pick_active();
  if (target != TG_NO_SLOT && target == active) target = TG_NO_SLOT; /* cannot happen; never risk the active */
  return TG_OK;
}

uint32_t model_store_slot_capacity(void) { return slot_bytes > DATA_AT ? slot_bytes - DATA_AT : 0; }

void model_store_slot_info(uint8_t slot, tg_slot_info_t *out) {
  if (slot < TG_SLOTS) *out = slots[slot];
  else memset(out, 0, sizeof *out);
}

uint8_t model_store_active_slot(void) { return active; }

int model_store_active(tg_model_view_t *out) {
  if (active == TG_NO_SLOT) return TG_ERR_EMPTY;
  const uint8_t *map = hal_store_map();
  out->slot = active;
  out->length = slots[active].length;
  out->crc32 = slots[active].crc32;
  out->sequence = slots[active].sequence;
  out->data = map ? map + slot_base(active) + DATA_AT : NULL;
  return TG_OK;
}

int model_store_read(uint32_t offset, void *data, uint32_t len) {
  if (active == TG_NO_SLOT) return TG_ERR_EMPTY;
  if (offset > slots[active].length || len > slots[active].length - offset) return TG_ERR_OFFSET;
  return hal_store_read(slot_base(active) + DATA_AT + offset, data, len) == 0 ? TG_OK : TG_ERR_STORE;
}

static int erase_slot(uint8_t slot, uint32_t length) {
  uint32_t page = hal_store_page_bytes();
  uint32_t span = (DATA_AT + length + page - 1) / page * page;
  if (span > slot_bytes) span = slot_bytes;
  return hal_store_erase(slot_base(slot), span);
}

int model_store_begin(uint32_t length, uint32_t crc32) {
  if (length == 0) return TG_ERR_EMPTY;
  if (length > model_store_slot_capacity()) return TG_ERR_TOO_LARGE;
  if (target != TG_NO_SLOT && rx_length == length && rx_crc == crc32) return TG_OK; /* resume */

  /* The target is never the active slot; with no active model, slot 0. */
  uint8_t slot = active == TG_NO_SLOT ? 0 : (uint8_t)(active == 0 ? 1 : 0);
  target = TG_NO_SLOT;
  if (erase_slot(slot, length) != 0) return TG_ERR_STORE;
  record_t r = {PENDING_MAGIC, length, crc32, (length + TG_PROGRESS_CELLS - 1) / TG_PROGRESS_CELLS};
  if (write_record(slot, PENDING_AT, &r) != 0) return TG_ERR_STORE;
  slots[slot].state = TG_SLOT_RECEIVING;
  slots[slot].length = length;
  slots[slot].crc32 = crc32;
  slots[slot].sequence = 0;
  target = slot;
  rx_length = length;
  rx_crc = crc32;
  rx_block = r.extra;
  rx_received = 0;
  rx_cells_done = 0;
  return TG_OK;
}

uint8_t model_store_receiving(void) { return target != TG_NO_SLOT; }
uint8_t model_store_target_slot(void) { return target; }
uint32_t model_store_expected_length(void) { return target == TG_NO_SLOT ? 0 : rx_length; }
uint32_t model_store_expected_crc(void) { return target == TG_NO_SLOT ? 0 : rx_crc; }
uint32_t model_store_received(void) { return target == TG_NO_SLOT ? 0 : rx_received; }

int model_store_write(uint32_t offset, const uint8_t *data, uint32_t len) {
  static const uint8_t ZEROS[TG_PROGRESS_CELL_BYTES] = {0};
  if (target == TG_NO_SLOT) return TG_ERR_NO_TRANSFER;
  if (offset != rx_received || len > rx_length - offset) return TG_ERR_OFFSET;
  if (hal_store_program(slot_base(target) + DATA_AT + offset, data, len) != 0) return TG_ERR_STORE;
  rx_received += len;
  /* Data first, then the cells it completes: a cut in between only costs a resend. */
  uint16_t total = cells_for(rx_length, rx_block);
  uint16_t done = rx_received == rx_length ? total : (uint16_t)(rx_received / rx_block);
  while (rx_cells_done < done) {
    uint32_t at = slot_base(target) + CELLS_AT + (uint32_t)rx_cells_done * TG_PROGRESS_CELL_BYTES;
    if (hal_store_program(at, ZEROS, sizeof ZEROS) != 0) return TG_ERR_STORE;
    rx_cells_done++;
  }
  return TG_OK;
}

int model_store_commit(uint32_t crc32, tg_slot_info_t *out) {
  if (target == TG_NO_SLOT) return TG_ERR_NO_TRANSFER;
  if (rx_received != rx_length) return TG_ERR_INCOMPLETE;
  /* Check what the medium holds, not what we meant to write. */
  if (crc32 != rx_crc || data_crc(target, rx_length) != rx_crc) return TG_ERR_CRC;
  uint32_t sequence = 1;
  for (uint8_t i = 0; i < TG_SLOTS; i++)
    if (slots[i].state == TG_SLOT_VALID && slots[i].sequence >= sequence) sequence = slots[i].sequence + 1;
  record_t r = {COMMIT_MAGIC, rx_length, rx_crc, sequence};
  if (write_record(target, COMMIT_AT, &r) != 0) return TG_ERR_STORE;
  uint8_t slot = target;
  target = TG_NO_SLOT;
  scan_slot(slot);
  pick_active();
  if (out) *out = slots[slot];
  return slots[slot].state == TG_SLOT_VALID && active == slot ? TG_OK : TG_ERR_STORE;
}

void model_store_abort(void) {
  if (target == TG_NO_SLOT) return;
  uint8_t slot = target;
  target = TG_NO_SLOT;
  /* Erasing the header forgets the pending record, so boot will not resume it. */
  uint32_t page = hal_store_page_bytes();
  hal_store_erase(slot_base(slot), (DATA_AT + page - 1) / page * page);
  slots[slot].state = TG_SLOT_EMPTY;
  slots[slot].length = slots[slot].crc32 = slots[slot].sequence = 0;
}
