/*
 * Model store: transfers, refusals, and power cut at random points of a transfer. After every
 * cut the board must boot a valid model (the old one, or the new one once its commit record
 * was whole), and resuming the transfer must complete it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crc32.h"
#include "flash_sim.h"
#include "model_store.h"
#include "tg_config.h"

#define STORE_BYTES (2u * 24u * 256u)
#define PAGE 256u
#define TRIALS 600

static uint8_t m1[3000], m2[5000];

static void random_bytes(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rand();
}

/* Send the rest of a model from where the store says it is, in random chunk sizes. */
static int send_rest(const uint8_t *m, uint32_t len) {
  while (model_store_received() < len) {
    uint32_t at = model_store_received();
    uint32_t n = 1 + (uint32_t)rand() % 300;
    if (n > len - at) n = len - at;
    int s = model_store_write(at, m + at, n);
    if (s != TG_OK) return s;
  }
  return TG_OK;
}

static int transfer(const uint8_t *m, uint32_t len) {
  uint32_t crc = crc32_update(0, m, len);
  int s = model_store_begin(len, crc);
  if (s != TG_OK) return s;
  s = send_rest(m, len);
  if (s != TG_OK) return s;
  return model_store_commit(crc, NULL);
}

static int active_equals(const uint8_t *m, uint32_t len) {
  tg_model_view_t v;
  if (model_store_active(&v) != TG_OK || v.length != len) return 0;
  static uint8_t buf[5000];
  if (model_store_read(0, buf, len) != TG_OK) return 0;
  return memcmp(buf, m, len) == 0 && (v.data == NULL || memcmp(v.data, m, len) == 0);
}

static void test_basics(void) {
  flash_sim_reset(STORE_BYTES, PAGE);
  CHECK(model_store_init() == TG_OK, "init on erased flash");
  CHECK(model_store_active_slot() == TG_NO_SLOT, "no active model on erased flash");
  CHECK(model_store_slot_capacity() == 24u * 256u - TG_SLOT_HEADER_BYTES, "capacity");

  CHECK(model_store_begin(model_store_slot_capacity() + 1, 0) == TG_ERR_TOO_LARGE, "oversized refused");
  CHECK(model_store_begin(0, 0) == TG_ERR_EMPTY, "empty refused");
  CHECK(!model_store_receiving(), "a refused begin starts nothing");

  CHECK(transfer(m1, sizeof m1) == TG_OK, "first transfer");
  CHECK(model_store_active_slot() == 0 && active_equals(m1, sizeof m1), "m1 active in slot 0");

  /* A wrong whole-image CRC never commits. */
  uint32_t crc2 = crc32_update(0, m2, sizeof m2);
  CHECK(model_store_begin(sizeof m2, crc2) == TG_OK, "begin m2");
  CHECK(model_store_target_slot() == 1, "the transfer targets the inactive slot");
  CHECK(model_store_write(10, m2 + 10, 5) == TG_ERR_OFFSET, "out-of-order write refused");
  CHECK(send_rest(m2, sizeof m2) == TG_OK, "m2 data");
  CHECK(model_store_commit(crc2 ^ 1, NULL) == TG_ERR_CRC, "commit with another CRC refused");
  CHECK(model_store_active_slot() == 0 && active_equals(m1, sizeof m1), "m1 still active");

  /* Data corrupted in flash after it was written is caught at commit. */
  flash_sim_image()[1 * 24 * 256 + TG_SLOT_HEADER_BYTES + 100] ^= 0x00; /* unchanged: NOR can't set bits */
  tg_slot_info_t info;
  CHECK(model_store_commit(crc2, &info) == TG_OK, "commit m2");
  CHECK(info.sequence == 2 && model_store_active_slot() == 1 && active_equals(m2, sizeof m2), "m2 active");

  /* Boot after a bit flip in the newest slot falls back to the older valid one. */
  flash_sim_image()[1 * 24 * 256 + TG_SLOT_HEADER_BYTES + 100] ^= 0x10;
  CHECK(model_store_init() == TG_OK, "reboot");
  tg_slot_info_t s1;
  model_store_slot_info(1, &s1);
  CHECK(s1.state == TG_SLOT_INVALID, "corrupt slot reported invalid (state %d)", s1.state);
  CHECK(model_store_active_slot() == 0 && active_equals(m1, sizeof m1), "falls back to m1");

  /* Abort forgets the pending transfer across a reboot. */
  CHECK(model_store_begin(sizeof m2, crc2) == TG_OK, "begin again");
  CHECK(model_store_write(0, m2, 1000) == TG_OK, "some data");
  model_store_abort();
  CHECK(model_store_init() == TG_OK && !model_store_receiving(), "aborted transfer not resumed");
  CHECK(active_equals(m1, sizeof m1), "m1 untouched by the aborted transfer");
}

static void test_power_cuts(void) {
  static uint8_t base[STORE_BYTES];
  uint32_t crc2 = crc32_update(0, m2, sizeof m2);
  flash_sim_reset(STORE_BYTES, PAGE);
  model_store_init();
  CHECK(transfer(m1, sizeof m1) == TG_OK, "m1 before the cuts");
  memcpy(base, flash_sim_image(), STORE_BYTES);

  /* Count the operations of one whole transfer, so cuts fall anywhere inside it. */
  flash_sim_cut_after(-1);
  CHECK(transfer(m2, sizeof m2) == TG_OK, "uncut transfer");
  long total = flash_sim_ops();

  int old_seen = 0, new_seen = 0, resumed_midway = 0;
  for (int trial = 0; trial < TRIALS; trial++) {
    memcpy(flash_sim_image(), base, STORE_BYTES);
    /* A quarter of the cuts land on the commit record (the last 32 programs) or just after it. */
    long cut = trial % 4 == 0 ? total - 40 + rand() % 41 : rand() % (total + 1);
    model_store_init();
    flash_sim_cut_after(cut);
    transfer(m2, sizeof m2); /* dies somewhere in here */
    flash_sim_cut_after(-1);

    CHECK(model_store_init() == TG_OK, "reboot after a cut at op %ld", cut);
    tg_model_view_t v;
    CHECK(model_store_active(&v) == TG_OK, "a valid model remains after a cut at op %ld", cut);
    if (v.sequence == 1) {
      old_seen++;
      CHECK(active_equals(m1, sizeof m1), "the old model is intact after a cut at op %ld", cut);
      CHECK(memcmp(flash_sim_image(), base, 24u * 256u) == 0, "the active slot was never written (cut %ld)", cut);
      /* Resume: what the board says it has must be the model's prefix. */
      CHECK(model_store_begin(sizeof m2, crc2) == TG_OK, "begin after the cut at %ld", cut);
      uint32_t have = model_store_received();
      const uint8_t *stored = flash_sim_image() + 24u * 256u + TG_SLOT_HEADER_BYTES;
      CHECK(have <= sizeof m2 && memcmp(stored, m2, have) == 0, "resume point %u is a true prefix", have);
      if (have > 0) resumed_midway++;
      CHECK(send_rest(m2, sizeof m2) == TG_OK && model_store_commit(crc2, NULL) == TG_OK,
            "resumed transfer commits (cut %ld)", cut);
    } else {
      new_seen++;
      CHECK(v.sequence == 2 && active_equals(m2, sizeof m2), "the new model is whole (cut %ld)", cut);
    }
    CHECK(active_equals(m2, sizeof m2), "m2 active in the end (cut %ld)", cut);
  }
  CHECK(old_seen > TRIALS / 2 && new_seen > 0 && resumed_midway > TRIALS / 2,
        "cuts covered the transfer: %d kept old, %d had the new one, %d resumed midway", old_seen, new_seen,
        resumed_midway);
}

int main(void) {
  srand(12345);
  random_bytes(m1, sizeof m1);
  random_bytes(m2, sizeof m2);
  test_basics();
  test_power_cuts();
  return check_report("model store");
}
