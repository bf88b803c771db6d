/*
 * A TFLite model read in place from the active slot: tensors and operators of subgraph 0 as small
 * fixed records pointing into the model bytes (weights are never copied). Every offset and length
 * is checked against the model's size while loading; a model that fails is refused with a reason.
 */
#ifndef TG_MODEL_H
#define TG_MODEL_H

#include <stdint.h>

#include "tg_config.h" /* the board's sizes (hal_config.h) override the defaults below */

/* No table is sized by these: a model's tables are sized by the model, in the arena. They are the widths of
   the runtime's indices and counts (int16 tensor indices, uint16 op and parameter counts). */
#define TG_MAX_TENSORS 32767u
#define TG_MAX_OPS 65535u
#define TG_MAX_OP_INPUTS 4 /* CONCATENATION of up to four */

/* TFLite TensorType values the runtime handles. */
#define TG_TYPE_FLOAT32 0
#define TG_TYPE_INT32 2
#define TG_TYPE_INT64 4
#define TG_TYPE_INT16 7
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

/* A tensor as decoded from the model (on the stack: the runtime keeps no table of them). */
typedef struct {
  const uint8_t *data;      /* constant data inside the model, or NULL for activations */
  const uint8_t *scales_at; /* little-endian float32 per channel, inside the model (scale_count > 1) */
  float scale;              /* first (or only) scale; 0 when not quantized */
  uint32_t elements;
  uint16_t dims[4];
  int16_t zero_point;
  uint16_t scale_count;
  uint8_t type;
  uint8_t rank;
} tg_tensor_t;

/* TG_WITHOUT_16X8 (implied by TG_DENSE_ONLY, the smallest code) builds the int8-only runtime, which reads no
   int16 or int64 tensor. No board ships it: board info does not say so, and the fit check assumes 16x8. */
#if defined(TG_DENSE_ONLY) && !defined(TG_WITHOUT_16X8)
#define TG_WITHOUT_16X8
#endif

/* Bytes of an element of a type the runtime reads (0 for any other), and of a tensor's data. */
#ifdef TG_WITHOUT_16X8
#define TG_TYPE_BYTES(type) ((type) == TG_TYPE_INT8 ? 1u : (type) == TG_TYPE_INT32 || (type) == TG_TYPE_FLOAT32 ? 4u : 0u)
#define TG_READ_TYPES "int8, int32, float32"
#else
#define TG_TYPE_BYTES(type) \
  ((type) == TG_TYPE_INT8 ? 1u : (type) == TG_TYPE_INT16 ? 2u : (type) == TG_TYPE_INT64 ? 8u \
   : (type) == TG_TYPE_INT32 || (type) == TG_TYPE_FLOAT32 ? 4u : 0u)
#define TG_READ_TYPES "int8, int16, int32, int64, float32"
#endif
#define TG_TENSOR_BYTES(t) (TG_TYPE_BYTES((t)->type) * (t)->elements)

/* An operator: its code, tensors, and where its options table sits in the model (0: none); each kernel
   reads the options it needs when it prepares the op. */
typedef struct {
  uint32_t options;
  uint16_t builtin;
  int16_t inputs[TG_MAX_OP_INPUTS];
  int16_t output;
  uint8_t input_count;
} tg_op_t;

/* Where subgraph 0's parts sit in the model: nothing of a tensor or an operator is copied out; both are
   decoded from the model bytes when needed (tg_model_tensor, tg_model_op), after tg_model_load checked
   every offset and length once. */
typedef struct {
  const uint8_t *data; /* the model bytes, read in place */
  uint32_t len;
  uint32_t tensors, operators, buffers, codes; /* positions of the vectors */
  uint32_t buffer_count, code_count;
  uint16_t tensor_count;
  uint16_t op_count;
  int16_t input;
  int16_t output;
  /* TFLite Micro's OfflineMemoryAllocation metadata, when the model has one for every tensor:
     little-endian int32 arena offsets (-1: plan at load), inside the model. */
  const uint8_t *offline_offsets;
} tg_model_t;

/* Parse `len` bytes at `data`. Returns 0, or -1 with a one-line reason in `err`. */
int tg_model_load(const uint8_t *data, uint32_t len, tg_model_t *m, char *err, uint16_t err_len);

/* Tensor `t` or operator `i` of a loaded model, decoded from the model bytes. */
void tg_model_tensor(const tg_model_t *m, int16_t t, tg_tensor_t *out);
void tg_model_op(const tg_model_t *m, uint16_t i, tg_op_t *out);
/* A part of a tensor, cheaper to decode: its rank, dims and elements. */
void tg_model_shape(const tg_model_t *m, int16_t t, tg_tensor_t *out);
/* Only an operator's inputs and output (what running it needs), faster. */
void tg_model_op_tensors(const tg_model_t *m, uint16_t i, tg_op_t *out);

/* Field `id` of the options table at `options` (`bytes` 1 or 4, little-endian), `dflt` when absent; sets *bad
   when the field lies outside the model. */
uint32_t tg_model_option(const tg_model_t *m, uint32_t options, uint16_t id, uint8_t bytes, uint32_t dflt, int *bad);

/* Append the decimal digits of `v` to the terminated string in `dst` (`len` bytes in all). */
void tg_append_u32(char *dst, uint16_t len, uint32_t v);

/* Append a string to the terminated string in `dst` (`len` bytes in all), truncated. */
void tg_append_str(char *dst, uint16_t len, const char *src);

/* Copy a string into `dst`, truncated and always terminated. */
void tg_copy_str(char *dst, uint16_t len, const char *src);

#endif
