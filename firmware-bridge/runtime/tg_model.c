#include "tg_model.h"

#include <string.h>

/* ---------------- flatbuffer access, every read bounds-checked ---------------- */

typedef struct {
  const uint8_t *b;
  uint32_t len;
  int bad; /* set by any out-of-range access; checked by the caller */
} fb_t;

/* All targets are little-endian, as flatbuffers are: a value is read with one copy. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the runtime reads flatbuffers in place and needs a little-endian target"
#endif

static uint32_t rd32(fb_t *f, uint32_t at) {
  uint32_t v = 0;
  if (at > f->len || f->len - at < 4) f->bad = 1;
  else memcpy(&v, f->b + at, 4);
  return v;
}

static uint16_t rd16(fb_t *f, uint32_t at) {
  uint16_t v = 0;
  if (at > f->len || f->len - at < 2) f->bad = 1;
  else memcpy(&v, f->b + at, 2);
  return v;
}

static uint8_t rd8(fb_t *f, uint32_t at) {
  if (at >= f->len) {
    f->bad = 1;
    return 0;
  }
  return f->b[at];
}

/* Position of field `id` of the table at `table`, or 0 when absent. */
static uint32_t field(fb_t *f, uint32_t table, uint16_t id) {
  uint32_t vt = table - rd32(f, table); /* soffset: vtable = table - value (wraps on bad input) */
  if (vt >= f->len) {
    f->bad = 1;
    return 0;
  }
  uint16_t vt_size = rd16(f, vt);
  uint16_t at = (uint16_t)(4 + 2 * id);
  if (at + 2 > vt_size) return 0;
  uint16_t off = rd16(f, vt + at);
  return off ? table + off : 0;
}

/* The object an offset field points to (table, vector or string), or 0. */
static uint32_t deref(fb_t *f, uint32_t at) {
  if (!at) return 0;
  uint32_t target = at + rd32(f, at);
  if (target >= f->len) {
    f->bad = 1;
    return 0;
  }
  return target;
}

/* A vector's element count (0 for an absent one), with its elements checked to fit. */
static uint32_t vec_len(fb_t *f, uint32_t vec, uint32_t elem_bytes) {
  if (!vec) return 0;
  uint32_t n = rd32(f, vec);
  if (n > (f->len - vec - 4) / elem_bytes) {
    f->bad = 1;
    return 0;
  }
  return n;
}

static uint32_t u32_field(fb_t *f, uint32_t table, uint16_t id, uint32_t dflt) {
  uint32_t at = field(f, table, id);
  return at ? rd32(f, at) : dflt;
}

static uint8_t u8_field(fb_t *f, uint32_t table, uint16_t id, uint8_t dflt) {
  uint32_t at = field(f, table, id);
  return at ? rd8(f, at) : dflt;
}


/* ---------------- model ---------------- */

/* Copy a string, always terminated (no printf on boards: it would cost kilobytes of flash). */
void tg_copy_str(char *dst, uint16_t len, const char *src) {
  uint16_t i = 0;
  for (; len && i + 1 < len && src[i]; i++) dst[i] = src[i];
  if (len) dst[i] = 0;
}

/* Append text or a number to a terminated string in `len` bytes. */
void tg_append_str(char *dst, uint16_t len, const char *src) {
  uint16_t at = 0;
  while (at < len && dst[at]) at++;
  if (at < len) tg_copy_str(dst + at, (uint16_t)(len - at), src);
}

void tg_append_u32(char *dst, uint16_t len, uint32_t v) {
  char digits[11];
  uint8_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v && n < sizeof digits - 1);
  char text[11];
  for (uint8_t i = 0; i < n; i++) text[i] = digits[n - 1 - i];
  text[n] = 0;
  tg_append_str(dst, len, text);
}

/* "<before><number><after>", e.g. "the model has 89 tensors; this firmware holds 64". */
static int fail_n(char *err, uint16_t len, const char *before, uint32_t a, const char *middle, uint32_t b,
                  const char *after) {
  tg_copy_str(err, len, before);
  tg_append_u32(err, len, a);
  tg_append_str(err, len, middle);
  tg_append_u32(err, len, b);
  tg_append_str(err, len, after);
  return -1;
}

static int fail(char *err, uint16_t n, const char *what) {
  tg_copy_str(err, n, what);
  return -1;
}


/* Tensor `i`'s shape (rank, dims, elements) into `t`; NULL, or what is wrong with it. */
static const char *decode_shape(fb_t *f, uint32_t tt, tg_tensor_t *t) {
  uint32_t shape = deref(f, field(f, tt, 0));
  uint32_t rank = vec_len(f, shape, 4);
  if (rank > 4) return "tensor of rank > 4";
  t->rank = (uint8_t)rank;
  t->elements = 1;
  for (uint32_t d = 0; d < 4; d++) {
    int32_t v = d < rank ? (int32_t)rd32(f, shape + 4 + 4 * d) : 0;
    if (v < 0 || v > 65535) return "tensor with a bad dimension";
    t->dims[d] = (uint16_t)v;
    if (d >= rank) continue;
    if (v && t->elements > ((uint32_t)1 << 24) / (uint32_t)v) return "tensor too large";
    t->elements *= (uint32_t)v;
  }
  return 0;
}

/* Tensor `i`'s quantization (scales, zero point) into `t`. */
static const char *decode_quantization(fb_t *f, const tg_model_t *m, uint32_t tt, tg_tensor_t *t) {
  t->scale = 0.0f;
  t->scales_at = 0;
  t->scale_count = 0;
  t->zero_point = 0;
  uint32_t q = deref(f, field(f, tt, 4));
  if (!q) return 0;
  uint32_t scales = deref(f, field(f, q, 2));
  uint32_t zps = deref(f, field(f, q, 3));
  uint32_t n_scales = vec_len(f, scales, 4);
  if (n_scales) {
    uint32_t bits = rd32(f, scales + 4);
    memcpy(&t->scale, &bits, 4);
    t->scale_count = (uint16_t)(n_scales > 0xFFFF ? 0xFFFF : n_scales);
    t->scales_at = m->data + scales + 4;
  }
  if (vec_len(f, zps, 8)) {
    int32_t zp = (int32_t)rd32(f, zps + 4); /* low word of the int64 */
    if (zp < -32768 || zp > 32767) return "zero point out of range";
    t->zero_point = (int16_t)zp;
  }
  return 0;
}

static uint32_t tensor_table(fb_t *f, const tg_model_t *m, uint32_t i) { return deref(f, m->tensors + 4 + 4 * i); }

/* Tensor `i` of the subgraph into `t`, every read checked; NULL, or what is wrong with it (the model is then
   refused). The runtime decodes tensors this way when it needs them: nothing of them is kept in RAM. */
static const char *decode_tensor(fb_t *f, const tg_model_t *m, uint32_t i, tg_tensor_t *t) {
  uint32_t tt = tensor_table(f, m, i);
  const char *why = decode_shape(f, tt, t);
  if (why) return why;
  t->type = u8_field(f, tt, 1, 0);
  uint32_t buf = u32_field(f, tt, 2, 0);
  if (buf >= m->buffer_count) return "tensor buffer index out of range";
  uint32_t bt = deref(f, m->buffers + 4 + 4 * buf);
  uint32_t bdata = deref(f, field(f, bt, 0));
  uint32_t blen = vec_len(f, bdata, 1);
  t->data = blen ? m->data + bdata + 4 : 0;
  why = decode_quantization(f, m, tt, t);
  if (why) return why;
  uint32_t eb = TG_TYPE_BYTES(t->type);
  if (!eb) return "type"; /* named by the caller */
  if (blen && blen != t->elements * eb) return "constant data length does not match its shape";
  return 0;
}

/* Operator `i` into `op`; NULL, or what is wrong with it. */
static const char *decode_op(fb_t *f, const tg_model_t *m, uint32_t i, tg_op_t *op, int tensors_only) {
  uint32_t ot = deref(f, m->operators + 4 + 4 * i);
  if (!tensors_only) {
    uint32_t code_index = u32_field(f, ot, 0, 0);
    if (code_index >= m->code_count) return "operator code index out of range";
    uint32_t ct = deref(f, m->codes + 4 + 4 * code_index);
    uint32_t deprecated = u8_field(f, ct, 0, 0);
    uint32_t builtin = u32_field(f, ct, 3, 0);
    op->builtin = (uint16_t)(builtin > deprecated ? builtin : deprecated);
    op->options = deref(f, field(f, ot, 4));
  }
  uint32_t oi = deref(f, field(f, ot, 1));
  uint32_t oo = deref(f, field(f, ot, 2));
  uint32_t n_in = vec_len(f, oi, 4);
  if (n_in > TG_MAX_OP_INPUTS || vec_len(f, oo, 4) != 1) return "operator with too many inputs or outputs";
  op->input_count = (uint8_t)n_in;
  for (uint32_t k = 0; k < n_in; k++) {
    int32_t t = (int32_t)rd32(f, oi + 4 + 4 * k);
    if (t < -1 || t >= (int32_t)m->tensor_count) return "operator input out of range";
    op->inputs[k] = (int16_t)t;
  }
  int32_t out = (int32_t)rd32(f, oo + 4);
  if (out < 0 || out >= (int32_t)m->tensor_count) return "operator output out of range";
  op->output = (int16_t)out;
  return 0;
}

void tg_model_tensor(const tg_model_t *m, int16_t i, tg_tensor_t *t) {
  fb_t f = {m->data, m->len, 0};
  (void)decode_tensor(&f, m, (uint32_t)i, t); /* accepted when the model was loaded */
}

void tg_model_shape(const tg_model_t *m, int16_t i, tg_tensor_t *t) {
  fb_t f = {m->data, m->len, 0};
  (void)decode_shape(&f, tensor_table(&f, m, (uint32_t)i), t);
}

void tg_model_op(const tg_model_t *m, uint16_t i, tg_op_t *op) {
  fb_t f = {m->data, m->len, 0};
  (void)decode_op(&f, m, i, op, 0);
}

void tg_model_op_tensors(const tg_model_t *m, uint16_t i, tg_op_t *op) {
  fb_t f = {m->data, m->len, 0};
  (void)decode_op(&f, m, i, op, 1);
}

int tg_model_load(const uint8_t *data, uint32_t len, tg_model_t *m, char *err, uint16_t err_len) {
  fb_t f = {data, len, 0};
  memset(m, 0, sizeof *m);
  m->data = data;
  m->len = len;
  if (len < 8 || memcmp(data + 4, "TFL3", 4) != 0) return fail(err, err_len, "not a TFLite model (no TFL3 identifier)");
  uint32_t model = rd32(&f, 0); /* the root offset sits at byte 0 */
  m->codes = deref(&f, field(&f, model, 1));
  uint32_t subgraphs = deref(&f, field(&f, model, 2));
  m->buffers = deref(&f, field(&f, model, 4));
  m->code_count = vec_len(&f, m->codes, 4);
  m->buffer_count = vec_len(&f, m->buffers, 4);
  uint32_t n_buffers = m->buffer_count;
  if (f.bad || vec_len(&f, subgraphs, 4) < 1) return fail(err, err_len, "malformed model: no subgraph");
  uint32_t g = deref(&f, subgraphs + 4);
  m->tensors = deref(&f, field(&f, g, 0));
  uint32_t n_tensors = vec_len(&f, m->tensors, 4);
  if (n_tensors > TG_MAX_TENSORS)
    return fail_n(err, err_len, "the model has ", n_tensors, " tensors, more than this firmware holds (", TG_MAX_TENSORS, ")");
  m->tensor_count = (uint16_t)n_tensors;
  for (uint32_t i = 0; i < n_tensors && !f.bad; i++) {
    tg_tensor_t t;
    const char *why = decode_tensor(&f, m, i, &t);
    if (why && why[0] == 't' && why[1] == 'y')
      return fail_n(err, err_len, "tensor ", i, " is TYPE_", t.type, ": the runtime reads " TG_READ_TYPES);
    if (why) return fail(err, err_len, why);
  }
  uint32_t ins = deref(&f, field(&f, g, 1));
  uint32_t outs = deref(&f, field(&f, g, 2));
  if (vec_len(&f, ins, 4) != 1 || vec_len(&f, outs, 4) != 1)
    return fail_n(err, err_len, "the model has ", vec_len(&f, ins, 4), " inputs and ", vec_len(&f, outs, 4),
                  " outputs: the runtime takes one of each");
  m->input = (int16_t)rd32(&f, ins + 4);
  m->output = (int16_t)rd32(&f, outs + 4);
  if (m->input < 0 || m->input >= (int16_t)n_tensors || m->output < 0 || m->output >= (int16_t)n_tensors)
    return fail(err, err_len, "graph input or output out of range");
  m->operators = deref(&f, field(&f, g, 3));
  uint32_t n_ops = vec_len(&f, m->operators, 4);
  if (n_ops > TG_MAX_OPS)
    return fail_n(err, err_len, "the model has ", n_ops, " operators, more than this firmware holds (", TG_MAX_OPS, ")");
  m->op_count = (uint16_t)n_ops;
  for (uint32_t i = 0; i < n_ops && !f.bad; i++) {
    tg_op_t op;
    const char *why = decode_op(&f, m, i, &op, 0);
    if (why) return fail(err, err_len, why);
  }
  /* Metadata "OfflineMemoryAllocation": int32 [version 1, subgraphs, offsets n, n offsets]. */
  uint32_t metadata = deref(&f, field(&f, model, 6));
  uint32_t n_meta = vec_len(&f, metadata, 4);
  for (uint32_t i = 0; i < n_meta && !f.bad; i++) {
    uint32_t mt = deref(&f, metadata + 4 + 4 * i);
    uint32_t name = deref(&f, field(&f, mt, 0));
    uint32_t name_len = vec_len(&f, name, 1);
    if (name_len != 23 || memcmp(data + name + 4, "OfflineMemoryAllocation", 23) != 0) continue;
    uint32_t buf = u32_field(&f, mt, 1, 0);
    if (buf >= n_buffers) return fail(err, err_len, "offline memory plan: buffer index out of range");
    uint32_t bt = deref(&f, m->buffers + 4 + 4 * buf);
    uint32_t bdata = deref(&f, field(&f, bt, 0));
    uint32_t blen = vec_len(&f, bdata, 1);
    if (blen < 12 || rd32(&f, bdata + 4) != 1 || rd32(&f, bdata + 12) != n_tensors || blen != 12 + 4 * n_tensors)
      return fail(err, err_len, "offline memory plan: not version 1 with one offset per tensor");
    m->offline_offsets = data + bdata + 4 + 12;
  }
  if (f.bad) return fail(err, err_len, "malformed model: an offset points outside the file");
  return 0;
}

uint32_t tg_model_option(const tg_model_t *m, uint32_t options, uint16_t id, uint8_t bytes, uint32_t dflt, int *bad) {
  fb_t f = {m->data, m->len, 0};
  if (!options) return dflt;
  uint32_t at = field(&f, options, id);
  uint32_t v = !at ? dflt : bytes == 1 ? rd8(&f, at) : rd32(&f, at);
  if (f.bad) *bad = 1;
  return f.bad ? dflt : v;
}
