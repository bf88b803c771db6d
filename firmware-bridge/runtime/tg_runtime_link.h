#ifndef TG_RUNTIME_LINK_H
#define TG_RUNTIME_LINK_H

#include <stdint.h>

void tg_runtime_reload_active(void);
void tg_cmd_runtime_status(const uint8_t *in, uint16_t n);
void tg_cmd_run_inference(const uint8_t *in, uint16_t n);

#endif
