/*
 * The model store in the STM32F4's own flash sectors, erased and programmed through the FLASH registers
 * (RM0390 3.5-3.6). The store's A/B records give the power-cut safety; this file gives NOR-flash rules:
 * erase whole sectors to 0xFF, program only bytes whose bits go from 1 to 0, and verify what was written.
 * The F4 has one flash bank: while a sector erases (about 1 s per 128 KiB) the CPU stalls on its next flash
 * fetch, interrupts included, so a transfer's begin (which erases) is answered only afterwards.
 */
#include <stdint.h>
#include <string.h>

#include "hal.h"
#include "stm32f4_regs.h"
#include "tg_config.h"

#define STORE ((volatile uint8_t *)(uintptr_t)TG_STORE_ADDRESS)

uint32_t hal_store_bytes(void) { return TG_STORE_BYTES; }
uint32_t hal_store_page_bytes(void) { return TG_STORE_PAGE_BYTES; }
const uint8_t *hal_store_map(void) { return (const uint8_t *)(uintptr_t)TG_STORE_ADDRESS; }

static int in_store(uint32_t address, uint32_t len) {
  return address <= TG_STORE_BYTES && len <= TG_STORE_BYTES - address;
}

int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (!in_store(address, len)) return -1;
  memcpy(data, hal_store_map() + address, len);
  return 0;
}

/* Wait for the operation under way; 0 unless the controller flagged an error. */
static int flash_wait(void) {
  while (FLASH_SR & FLASH_SR_BSY) {
  }
  return (FLASH_SR & FLASH_SR_ERRORS) ? -1 : 0;
}

static void flash_unlock(void) {
  if (FLASH_CR & FLASH_CR_LOCK) {
    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
  }
  FLASH_SR = FLASH_SR_ERRORS | FLASH_SR_EOP; /* clear old flags (write 1 to clear) */
}

/* Lock again and drop what the ART accelerator's caches hold of the store's old contents. */
static void flash_lock(void) {
  FLASH_CR = FLASH_CR_LOCK;
  uint32_t acr = FLASH_ACR;
  FLASH_ACR = acr & ~(FLASH_ACR_DCEN | FLASH_ACR_ICEN);
  FLASH_ACR = (acr & ~(FLASH_ACR_DCEN | FLASH_ACR_ICEN)) | FLASH_ACR_DCRST | FLASH_ACR_ICRST;
  FLASH_ACR = acr;
}

int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % TG_STORE_PAGE_BYTES || len % TG_STORE_PAGE_BYTES || !in_store(address, len)) return -1;
  int rc = 0;
  flash_unlock();
  for (uint32_t at = address; at < address + len && rc == 0; at += TG_STORE_PAGE_BYTES) {
    uint32_t sector = TG_STORE_FIRST_SECTOR + at / TG_STORE_PAGE_BYTES;
    FLASH_CR = FLASH_CR_SER | FLASH_CR_SNB(sector) | FLASH_CR_PSIZE_X32;
    FLASH_CR |= FLASH_CR_STRT;
    rc = flash_wait();
  }
  flash_lock();
  for (uint32_t i = 0; i < len && rc == 0; i += 4)
    if (*(volatile uint32_t *)(uintptr_t)(TG_STORE_ADDRESS + address + i) != 0xFFFFFFFFu) rc = -1;
  return rc;
}

/* One program operation of `bytes` (1 or 4) at `at`, which must be erased there. */
static int program_unit(uint32_t at, uint32_t value, uint32_t bytes) {
  if (bytes == 4) {
    FLASH_CR = FLASH_CR_PG | FLASH_CR_PSIZE_X32;
    *(volatile uint32_t *)(uintptr_t)(TG_STORE_ADDRESS + at) = value;
  } else {
    FLASH_CR = FLASH_CR_PG | FLASH_CR_PSIZE_X8;
    STORE[at] = (uint8_t)value;
  }
  int rc = flash_wait();
  FLASH_CR = 0;
  return rc;
}

/* Words where all four bytes are still erased, single bytes elsewhere; a byte whose value would not change
   is not programmed again. Only 1 -> 0 transitions are asked of the flash (value = old AND new). */
int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (!in_store(address, len)) return -1;
  const uint8_t *d = (const uint8_t *)data;
  int rc = 0;
  flash_unlock();
  for (uint32_t i = 0; i < len && rc == 0;) {
    uint32_t at = address + i;
    if (at % 4 == 0 && len - i >= 4 && *(volatile uint32_t *)(uintptr_t)(TG_STORE_ADDRESS + at) == 0xFFFFFFFFu) {
      uint32_t word = (uint32_t)d[i] | ((uint32_t)d[i + 1] << 8) | ((uint32_t)d[i + 2] << 16) | ((uint32_t)d[i + 3] << 24);
      if (word != 0xFFFFFFFFu) rc = program_unit(at, word, 4);
      i += 4;
      continue;
    }
    uint8_t want = (uint8_t)(STORE[at] & d[i]);
    if (want != STORE[at]) rc = program_unit(at, want, 1);
    i++;
  }
  flash_lock();
  /* Every bit the data clears must now be clear. */
  for (uint32_t i = 0; i < len && rc == 0; i++)
    if (STORE[address + i] & (uint8_t)~d[i]) rc = -1;
  return rc;
}
