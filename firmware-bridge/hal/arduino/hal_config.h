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
/* Six analog inputs; 12 slots of them (216 B) cover a 12-slot stall of the loop (a model chunk written to
   the EEPROM takes ~3.4 ms a byte). */
#define TG_SAMPLE_CHANNELS 6
#define TG_SAMPLE_RING 12
#else
#define TG_MAX_PINS 38
#define TG_SAMPLE_CHANNELS 16
#define TG_SAMPLE_RING 8 /* 304 B: the Mega's 8 KB also hold the model, its arena and the stack */
/* The Mega's int8 runtime, for small models: the EEPROM slot (1,980 B) is copied to RAM to run in place. */
#define TG_MODEL_RAM_BYTES 1984
/* Arena + tables: the model's tables (tensors, ops, kernel data) and its activations share it. */
#define TG_ARENA_BYTES 1504
#define TG_MAX_TENSORS 12
#define TG_MAX_OPS 8
#define TG_MAX_CHANNEL_PARAMS 40
#define TG_RUNTIME_REPLY_BYTES 160
#define TG_STREAM_WINDOW_BYTES 128
#endif

#endif
