#include "bridge.h"

#include "firmata.h"
#include "hal.h"
#include "model_store.h"
#include "tg_config.h" /* says whether this build carries the runtime (TG_WITH_RUNTIME) */

#ifdef TG_WITH_RUNTIME
#include "tg_runtime_link.h"
#include "tg_stream.h"
#endif

void bridge_init(void) {
  model_store_init();
#ifdef TG_WITH_RUNTIME
  tg_runtime_reload_active();
#endif
  firmata_init();
}

void bridge_poll(void) {
  /* Drain what arrived before sampling, so a busy link never starves the parser. */
  for (int i = 0; i < 256; i++) {
    int b = hal_uart_read();
    if (b < 0) break;
    firmata_receive((uint8_t)b);
  }
  firmata_poll();
#ifdef TG_WITH_RUNTIME
  tg_stream_poll();
#endif
}
