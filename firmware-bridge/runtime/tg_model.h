/*
 * A TFLite model read in place from the active slot: tensors and operators of subgraph 0 as small
 * fixed records pointing into the model bytes (weights are never copied). Every offset and length
 * is checked against the model's size while loading; a model that fails is refused with a reason.
 */
#ifndef TG_MODEL_H
#define TG_MODEL_H

#include <stdint.h>

#include "tg_config.h" /* the board's sizes (hal_config.h) override the defaults below */

#ifndef TG_MAX_TENSORS
#define TG_MAX_TENSORS 64
#endif
#ifndef TG_MAX_OPS
#define TG_MAX_OPS 48
#endif
#define TG_MAX_OP_INPUTS 4 /* CONCATENATION of up to four */

/* TFLite TensorType values the runtime handles. */
#define TG_TYPE_FLOAT32 0
#define TG_TYPE_INT32 2
#define TG_TYPE_INT8 9

/* TFLite BuiltinOperator codes the runtime runs. */
#define TG_OP_FULLY_CONNECTED 9
#define TG_OP_RESHAPE 22
#define TG_OP_QUANTIZE 114
#define TG_OP_DEQUANTIZE 6
#define TG_OP_CONV_2D 3
#define TG_OP_DEPTHWISE_CONV_2D 4
#define TG_OP_AVERAGE_POOL_2D 1
#define TG_OP_MAX_POOL_2D 17
#define TG_OP_ADD 0
#define TG_OP_SUB 41
#define TG_OP_MUL 18
#define TG_OP_CONCATENATION 2
#define TG_OP_PAD 34
#define TG_OP_MEAN 40
#define TG_OP_SQUEEZE 43
#define TG_OP_SOFTMAX 25
#define TG_OP_LOGISTIC 14
#define TG_OP_TANH 28

typedef struct {
  uint8_t type;
  uint8_t rank;
  int32_t dims[4];
  uint32_t elements;
  uint32_t bytes;
  const uint8_t *data; /* constant data inside the model, or NULL for activations */
  float scale;         /* first (or only) scale; 0 when not quantized */
  int32_t zero_point;
  uint16_t scale_count;          /* > 1: per-channel, scales at scales_at */
  const uint8_t *scales_at;      /* little-endian float32 per channel, inside the model */
} tg_tensor_t;

typedef struct {
  uint16_t builtin;
  uint8_t activation; /* TFLite ActivationFunctionType: 0 none, 1 relu, 3 relu6 */
  int16_t inputs[TG_MAX_OP_INPUTS];
  uint8_t input_count;
  int16_t output;
  /* Window ops (conv, depthwise, pooling): TFLite's options. */
  uint8_t padding_valid; /* 0 SAME, 1 VALID */
  uint8_t stride_w, stride_h, dilation_w, dilation_h;
  uint8_t filter_w, filter_h; /* pooling */
  uint16_t depth_multiplier;
  int8_t axis; /* CONCATENATION */
  float beta;  /* SOFTMAX */
} tg_op_t;

typedef struct {
  tg_tensor_t tensors[TG_MAX_TENSORS];
  uint16_t tensor_count;
  tg_op_t ops[TG_MAX_OPS];
  uint16_t op_count;
  int16_t input;
  int16_t output;
  /* TFLite Micro's OfflineMemoryAllocation metadata, when the model has one for every tensor:
     little-endian int32 arena offsets (-1: plan at load), inside the model. */
  const uint8_t *offline_offsets;
} tg_model_t;

/* Parse `len` bytes at `data`. Returns 0, or -1 with a one-line reason in `err`. */
int tg_model_load(const uint8_t *data, uint32_t len, tg_model_t *m, char *err, uint16_t err_len);

/* TFLite's name for a builtin op code the runtime knows, else "BUILTIN_<n>" in `buf`. */
const char *tg_op_name(uint16_t builtin, char *buf, uint16_t len);

/* Copy a string into `dst`, truncated and always terminated. */
void tg_copy_str(char *dst, uint16_t len, const char *src);

#endif
