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

#ifdef TG_STORE_RAM_ARRAY
/* Boards with no region placed by a linker script (the Arduino library on a 32-bit core): a static array. */
static uint8_t store_ram[TG_STORE_BYTES];
#define STORE store_ram
#else
extern uint8_t __store_start[];
#define STORE __store_start
#endif

uint32_t hal_store_bytes(void) { return TG_STORE_BYTES; }
uint32_t hal_store_page_bytes(void) { return TG_STORE_PAGE_BYTES; }
const uint8_t *hal_store_map(void) { return STORE; }

int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (address > TG_STORE_BYTES || len > TG_STORE_BYTES - address) return -1;
  memcpy(data, STORE + address, len);
  return 0;
}

int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (address > TG_STORE_BYTES || len > TG_STORE_BYTES - address) return -1;
  const uint8_t *d = (const uint8_t *)data;
  for (uint32_t i = 0; i < len; i++) STORE[address + i] &= d[i]; /* programming only clears bits */
  return 0;
}

int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % TG_STORE_PAGE_BYTES || len % TG_STORE_PAGE_BYTES) return -1;
  if (address > TG_STORE_BYTES || len > TG_STORE_BYTES - address) return -1;
  memset(STORE + address, 0xFF, len);
  return 0;
}

/* RAM starts zeroed; an image saved from a previous run (QEMU: loaded with -device loader) is kept. */
void ram_store_init(void) {
  for (uint32_t i = 0; i < 64u; i++)
    if (STORE[i] != 0) return;
  memset(STORE, 0xFF, TG_STORE_BYTES);
}
