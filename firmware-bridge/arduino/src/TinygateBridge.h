/*
 * tinygate's firmware-bridge as an Arduino library: Firmata for johnny-five, the tinygate link (board info,
 * model flashing, on-board inference where the board has the runtime) and sample marks, on Serial at
 * 115200 baud. Call tinygate::begin() in setup() and tinygate::poll() in loop(), and nothing else on Serial.
 */
#ifndef TINYGATE_BRIDGE_H
#define TINYGATE_BRIDGE_H

namespace tinygate {
void begin();
void poll();
}  // namespace tinygate

#endif
