/* Host (POSIX) build: roomy buffers so the link runs at full speed over a pty. */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#define TG_SYSEX_BUFFER_BYTES 512
#define TG_MAX_PINS 20
/* The emulated ADC samples on time into a ring (hal_analog_sample): a stalled loop catches up on ¼ s. */
#define TG_SAMPLE_BACKLOG 250

#endif
