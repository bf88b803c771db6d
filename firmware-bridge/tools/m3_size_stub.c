/* Links the runtime into a bare Cortex-M3 image so its code size (kernels + soft-float helpers) can
   be measured as the difference to the same image without it (make runtime-size). */
#include <stdint.h>

#include "tg_runtime.h"

static const uint8_t model_bytes[16];

int main(void) {
#ifdef WITH_RUNTIME
  tg_runtime_load(model_bytes, sizeof model_bytes);
  return tg_runtime_invoke();
#else
  return model_bytes[0];
#endif
}

void _exit(int code);
void _exit(int code) {
  (void)code;
  for (;;) {
  }
}
