/* Host (POSIX) build: roomy buffers so the link runs at full speed over a pty. */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#define TG_SYSEX_BUFFER_BYTES 512
#define TG_MAX_PINS 20
/* No timer interrupt in a process: the loop is the sampler's clock, and each slot reads the scenario at the
   slot's own time (hal_analog_sample), as a timer-triggered ADC would; a stalled loop catches up on ¼ s. */
#define TG_SAMPLER_IN_LOOP 1
#define TG_SAMPLE_RING 250
/* The runtime's arena (tables + activations): room for the MLPerf Tiny vision references (vww_96 needs 79,392 B). */
#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES (256u * 1024u)
#endif

#endif
