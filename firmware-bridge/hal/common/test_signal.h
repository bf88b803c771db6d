/* A test signal for emulated boards whose ADC reads nothing real (test_signal.c). */
#ifndef TG_TEST_SIGNAL_H
#define TG_TEST_SIGNAL_H

#include <stdint.h>

/* Channel c at time ms: a (c + 1) Hz sine around mid-scale of a 12-bit ADC, a quarter of full scale high. */
uint16_t test_signal(uint8_t channel, uint32_t ms);

#endif
