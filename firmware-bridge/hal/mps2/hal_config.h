/* QEMU mps2-an385 (Cortex-M3) build: host-sized link buffers, 1 MiB model store, the runtime's arena in SSRAM2/3. */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#define TG_SYSEX_BUFFER_BYTES 512
#define TG_MAX_PINS 20
/* Bytes the gateway may have in flight: QEMU back-pressures the pty, so this only sizes our ring. */
#define TG_RX_BUFFER_BYTES 1024
#define TG_STORE_PAGE_BYTES 4096
#define TG_STORE_BYTES (1024u * 1024u) /* the top MiB of SSRAM1 (mps2-an385.ld) */
#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES (256u * 1024u)
#endif

#endif
