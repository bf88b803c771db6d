#include "flash_sim.h"

#include <stdlib.h>
#include <string.h>

#include "hal.h"

static uint8_t *image;
static uint32_t size, page_size;
static long budget = -1, ops;
static int dead;

void flash_sim_reset(uint32_t bytes, uint32_t page) {
  free(image);
  image = malloc(bytes);
  memset(image, 0xFF, bytes);
  size = bytes;
  page_size = page;
  budget = -1;
  ops = 0;
  dead = 0;
}

void flash_sim_cut_after(long n) {
  budget = n;
  dead = 0;
  ops = 0;
}

int flash_sim_dead(void) { return dead; }
long flash_sim_ops(void) { return ops; }
uint8_t *flash_sim_image(void) { return image; }
uint32_t flash_sim_bytes(void) { return size; }

/* One operation; returns 0 when power died during it (the caller tears it). */
static int spend(void) {
  if (dead) return 0;
  ops++;
  if (budget >= 0 && ops > budget) {
    dead = 1;
    return 0;
  }
  return 1;
}

uint32_t hal_store_bytes(void) { return size; }
uint32_t hal_store_page_bytes(void) { return page_size; }
const uint8_t *hal_store_map(void) { return image; }

int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (dead || address > size || len > size - address) return -1;
  memcpy(data, image + address, len);
  return 0;
}

int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (dead || address > size || len > size - address) return -1;
  const uint8_t *d = data;
  for (uint32_t i = 0; i < len; i++) {
    if (!spend()) { /* torn: some of this byte's bits made it */
      image[address + i] &= (uint8_t)(d[i] | (uint8_t)rand());
      return -1;
    }
    image[address + i] &= d[i];
  }
  return 0;
}

int hal_store_erase(uint32_t address, uint32_t len) {
  if (dead || address % page_size || len % page_size || address > size || len > size - address) return -1;
  for (uint32_t p = 0; p < len; p += page_size) {
    if (!spend()) { /* torn: a partly erased page holds anything */
      for (uint32_t i = 0; i < page_size; i++) image[address + p + i] |= (uint8_t)rand();
      return -1;
    }
    memset(image + address + p, 0xFF, page_size);
  }
  return 0;
}
