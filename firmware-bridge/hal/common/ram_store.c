/*
 * A model store in RAM with NOR-flash rules (erase sets pages to 0xFF, programming only clears bits), for
 * emulated boards whose flash the guest cannot program (QEMU): the linker script places __store_start and
 * hal_config.h sizes it (TG_STORE_BYTES, TG_STORE_PAGE_BYTES). It survives a QEMU restart only when the
 * emulator saves and reloads it (src/link/qemu-board.ts: pmemsave at stop, -device loader at start).
 */
#include <stdint.h>
#include <string.h>

#include "hal.h"
#include "ram_store.h"
#include "tg_config.h"

extern uint8_t __store_start[];

uint32_t hal_store_bytes(void) { return TG_STORE_BYTES; }
uint32_t hal_store_page_bytes(void) { return TG_STORE_PAGE_BYTES; }
const uint8_t *hal_store_map(void) { return __store_start; }

int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (address > TG_STORE_BYTES || len > TG_STORE_BYTES - address) return -1;
  memcpy(data, __store_start + address, len);
  return 0;
}

int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (address > TG_STORE_BYTES || len > TG_STORE_BYTES - address) return -1;
  const uint8_t *d = (const uint8_t *)data;
  for (uint32_t i = 0; i < len; i++) __store_start[address + i] &= d[i]; /* programming only clears bits */
  return 0;
}

int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % TG_STORE_PAGE_BYTES || len % TG_STORE_PAGE_BYTES) return -1;
  if (address > TG_STORE_BYTES || len > TG_STORE_BYTES - address) return -1;
  memset(__store_start + address, 0xFF, len);
  return 0;
}

/* QEMU starts RAM zeroed; an image saved from a previous run (loaded with -device loader) is kept. */
void ram_store_init(void) {
  for (uint32_t i = 0; i < 64u; i++)
    if (__store_start[i] != 0) return;
  memset(__store_start, 0xFF, TG_STORE_BYTES);
}
