/* Unit-test build: small slots so power-cut runs are quick, host-sized buffers. */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#define TG_SYSEX_BUFFER_BYTES 512
#define TG_PROGRESS_CELLS 16
#define TG_SAMPLE_RING 8
#define TG_SAMPLE_CHANNELS 4

#endif
