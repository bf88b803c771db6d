// The whole bridge: the gateway talks to the board over Serial (115200 baud); nothing else may use Serial.
#include <TinygateBridge.h>

void setup() { tinygate::begin(); }

void loop() { tinygate::poll(); }
