/* The firmware's main loop, shared by every HAL: call bridge_init once, then bridge_poll forever. */
#ifndef TG_BRIDGE_H
#define TG_BRIDGE_H

void bridge_init(void);
void bridge_poll(void);

#endif
