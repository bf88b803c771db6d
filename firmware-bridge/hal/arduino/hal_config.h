/* AVR build: StandardFirmata-sized buffers (2 KB of RAM on an Uno), the EEPROM as model store. */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#define TG_SYSEX_BUFFER_BYTES 64
#define TG_RX_BUFFER_BYTES 64
#define TG_I2C_MAX_QUERIES 4
/* EEPROM bytes can be rewritten one at a time: small pages, one-byte progress cells, few of them. */
#define TG_STORE_PAGE_BYTES 4
#define TG_PROGRESS_CELLS 4
#define TG_PROGRESS_CELL_BYTES 1
#ifdef TG_BOARD_UNO
#define TG_MAX_PINS 20
#else
#define TG_MAX_PINS 38
/* The Mega's int8 runtime, for small models: the EEPROM slot (1,980 B) is copied to RAM to run in place. */
#define TG_MODEL_RAM_BYTES 1984
#define TG_ARENA_BYTES 768
#define TG_MAX_TENSORS 12
#define TG_MAX_OPS 8
#define TG_MAX_CHANNEL_PARAMS 40
#define TG_RUNTIME_REPLY_BYTES 160
#define TG_STREAM_WINDOW_BYTES 128
#endif

#endif
