/* The analog inputs of the QEMU builds: QEMU models no ADC input (mps2 has no ADC; netduinoplus2's ADC model
   returns a sawtooth across full scale whatever the pin), so they read a sine the gateway believes. */
#include "test_signal.h"

/* A quarter of a sine, 16 steps, amplitude 2047. */
static const int16_t QUARTER_SINE[16] = {0,    201,  399,  594,  783,  965,  1137, 1299,
                                         1447, 1582, 1702, 1805, 1891, 1959, 2008, 2037};

static int32_t sine64(uint32_t phase) {
  uint32_t q = (phase >> 4) & 3u, k = phase & 15u;
  int32_t v = (q & 1u) ? (k ? QUARTER_SINE[16u - k] : 2047) : QUARTER_SINE[k];
  return q >= 2u ? -v : v;
}

uint16_t test_signal(uint8_t channel, uint32_t ms) {
  uint32_t phase = (ms * 64u * (channel + 1u) / 1000u) & 63u;
  return (uint16_t)(2048 + sine64(phase) / 4);
}
