/* The on-board int8 runtime over the active model slot (see tg_runtime.c). */
#ifndef TG_RUNTIME_H
#define TG_RUNTIME_H

#include <stdint.h>

#define TG_RUNTIME_NO_MODEL 0
#define TG_RUNTIME_READY 1
#define TG_RUNTIME_ERROR 2

/* Load (or unload, with NULL) a model read in place; 0, or -1 with tg_runtime_error() set. */
int tg_runtime_load(const uint8_t *data, uint32_t len);
uint8_t tg_runtime_state(void);
/* Refuse the active model for a reason found outside the runtime (e.g. it does not fit this board's RAM). */
void tg_runtime_refuse(const char *why);
const char *tg_runtime_error(void);
/* What the active model takes of the arena: its activations, and its tables (below them, 16-aligned). */
uint32_t tg_runtime_arena_used(void);
uint32_t tg_runtime_tables_used(void);
uint16_t tg_runtime_op_count(void);
/* The fixed tables this build was compiled with (board info reports them; the gateway's fit check asks the
   same questions before it sends a model). */
void tg_runtime_limits(uint16_t *tensors, uint16_t *ops, uint16_t *channel_params);
/* The TFLite op codes this build has kernels for (board info lists them): how many, and the k-th. */
uint8_t tg_runtime_kernel_count(void);
uint16_t tg_runtime_kernel_code(uint8_t k);

/* The input tensor's bytes in the arena: write the input there, then invoke. */
uint32_t tg_runtime_input_bytes(void);
uint8_t *tg_runtime_input(void);
int tg_runtime_invoke(void);
const uint8_t *tg_runtime_output(uint32_t *len);
/* The input's and output's int8 quantization (scale 0 when not quantized). */
void tg_runtime_io_quantization(float *in_scale, int32_t *in_zp, float *out_scale, int32_t *out_zp);

#endif
