/* Compile-time sizes of the portable core; a HAL's hal_config.h may override any of them. */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include "hal_config.h"

#define TG_FIRMWARE_MAJOR 0
#define TG_FIRMWARE_MINOR 1
#define TG_FIRMWARE_PATCH 0

/* Bytes of one SysEx message between F0 and F7 the parser keeps (command byte included). */
#ifndef TG_SYSEX_BUFFER_BYTES
#define TG_SYSEX_BUFFER_BYTES 64
#endif

/* Sample slots the ring holds for a late loop (src/sampler.h; at most 255), and channels kept per slot. */
#ifndef TG_SAMPLE_RING
#define TG_SAMPLE_RING 32
#endif
#ifndef TG_SAMPLE_CHANNELS
#define TG_SAMPLE_CHANNELS 16
#endif

/* Least time between two 0x54 reports of lost sample slots (src/slot_sender.c). */
#ifndef TG_SKIP_REPORT_MS
#define TG_SKIP_REPORT_MS 100
#endif

/* Most pins the Firmata layer tracks. */
#ifndef TG_MAX_PINS
#define TG_MAX_PINS 24
#endif

/* Continuous I2C reads kept at once, and bytes per I2C read (StandardFirmata: 8 and 32). */
#ifndef TG_I2C_MAX_QUERIES
#define TG_I2C_MAX_QUERIES 8
#endif
#ifndef TG_I2C_MAX_BYTES
#define TG_I2C_MAX_BYTES 32
#endif

/* Model store slot header: commit record, pending record, then progress cells. */
#ifndef TG_PROGRESS_CELLS
#define TG_PROGRESS_CELLS 120
#endif
#ifndef TG_PROGRESS_CELL_BYTES
#define TG_PROGRESS_CELL_BYTES 8 /* one program unit of 64-bit ECC flash per cell */
#endif
#define TG_RECORD_BYTES 32
#define TG_SLOT_HEADER_BYTES (2u * TG_RECORD_BYTES + (uint32_t)TG_PROGRESS_CELLS * TG_PROGRESS_CELL_BYTES)

#endif
