#include "tg_stream.h"

#include <string.h>

#include "hal.h"
#include "tg_config.h"
#include "tg_model.h"
#include "tg_runtime.h"
#include "tinygate_link.h"

#ifndef TG_STREAM_WINDOW_BYTES
#define TG_STREAM_WINDOW_BYTES 2048 /* samples x channels of one window, quantized */
#endif
#define TG_STREAM_MAX_CHANNELS 8

enum { SCORE_OK = 0, STREAM_STARTED = 1, STREAM_STOPPED = 2, STREAM_NO_MODEL = 3, STREAM_BAD_CONFIG = 4, SCORE_FAILED = 5 };
enum { SCORE_RECONSTRUCTION = 0, SCORE_OUTPUT0 = 1 };

static struct {
  uint8_t on;
  uint8_t channels[TG_STREAM_MAX_CHANNELS];
  uint8_t channel_count;
  uint8_t score_kind;
  uint16_t interval_ms, hop;
  uint16_t window;   /* samples per channel */
  float counts_to_q; /* input quantization steps per ADC count: gain / the input's scale */
  float offset;      /* ADC counts of real zero */
  uint32_t last_sample;
  uint32_t samples;  /* taken since start */
  uint16_t since_window;
  uint16_t head;     /* next sample's row in the ring */
  uint32_t sequence;
} s;

static int8_t ring[TG_STREAM_WINDOW_BYTES]; /* window rows of channel_count values, oldest at head */

static float get_f32(const uint8_t *p) {
  uint32_t u = tg_get32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* Reply 0x51: u8 status, u32 window sequence, u32 microseconds, f32 score. */
static void send_score(uint8_t status, uint32_t micros, float score) {
  uint8_t out[13];
  uint32_t u;
  out[0] = status;
  tg_put32(out + 1, s.sequence);
  tg_put32(out + 5, micros);
  memcpy(&u, &score, sizeof u);
  tg_put32(out + 9, u);
  tinygate_reply(TG_REPLY_SCORE, out, sizeof out);
}

void tg_stream_reset(void) { s.on = 0; }

/*
 * Body: u8 channel count C (1-8), C x u8 ADC channel, u16 sample interval ms, u16 hop (samples per
 * channel between windows), u8 score kind (0 reconstruction MSE, 1 output 0), f32 gain (model input
 * units per ADC count), f32 offset in ADC counts. The window is the model input read as [samples][C] int8.
 */
void tg_cmd_stream_start(const uint8_t *in, uint16_t n) {
  s.on = 0;
  s.sequence = 0;
  if (tg_runtime_state() != TG_RUNTIME_READY) {
    send_score(STREAM_NO_MODEL, 0, 0.0f);
    return;
  }
  uint8_t c = n >= 1 ? in[0] : 0;
  if (c < 1 || c > TG_STREAM_MAX_CHANNELS || n != (uint16_t)(1u + c + 2u + 2u + 1u + 4u + 4u)) {
    send_score(STREAM_BAD_CONFIG, 0, 0.0f);
    return;
  }
  const uint8_t *p = in + 1 + c;
  uint16_t interval = (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
  uint16_t hop = (uint16_t)(p[2] | ((uint16_t)p[3] << 8));
  uint8_t kind = p[4];
  float in_scale, out_scale;
  int32_t in_zp, out_zp;
  tg_runtime_io_quantization(&in_scale, &in_zp, &out_scale, &out_zp);
  float k = in_scale > 0.0f ? get_f32(p + 5) / in_scale : 0.0f, offset = get_f32(p + 9);
  uint32_t input = tg_runtime_input_bytes();
  uint32_t out_len = 0;
  tg_runtime_output(&out_len);
  uint16_t window = (uint16_t)(input / c);
  int bad = interval < 1 || input % c || input > TG_STREAM_WINDOW_BYTES || hop < 1 || hop > window ||
            kind > SCORE_OUTPUT0 || (kind == SCORE_RECONSTRUCTION && out_len != input) || !(k == k) || k == 0.0f ||
            !(offset == offset) || out_scale <= 0.0f;
  for (uint8_t i = 0; i < c && !bad; i++) bad = in[1 + i] >= 16;
  if (bad) {
    send_score(STREAM_BAD_CONFIG, 0, 0.0f);
    return;
  }
  memcpy(s.channels, in + 1, c);
  s.channel_count = c;
  s.interval_ms = interval;
  s.hop = hop;
  s.window = window;
  s.score_kind = kind;
  s.counts_to_q = k;
  s.offset = offset;
  s.samples = 0;
  s.since_window = 0;
  s.head = 0;
  s.last_sample = hal_millis();
  s.on = 1;
  send_score(STREAM_STARTED, 0, 0.0f);
}

void tg_cmd_stream_stop(const uint8_t *in, uint16_t n) {
  (void)in;
  (void)n;
  s.on = 0;
  send_score(STREAM_STOPPED, 0, 0.0f);
}

/* Copy the ring, oldest row first, into the model input; run; score. */
static void score_window(void) {
  uint32_t row = s.channel_count, bytes = (uint32_t)s.window * row;
  int8_t *x = (int8_t *)tg_runtime_input();
  uint32_t first = (uint32_t)s.head * row;
  memcpy(x, ring + first, bytes - first);
  memcpy(x + (bytes - first), ring, first);
  uint32_t started = hal_micros();
  int ok = tg_runtime_invoke();
  uint32_t took = hal_micros() - started;
  s.sequence++;
  if (ok != 0) {
    send_score(SCORE_FAILED, took, 0.0f);
    return;
  }
  float in_scale, out_scale;
  int32_t in_zp, out_zp;
  tg_runtime_io_quantization(&in_scale, &in_zp, &out_scale, &out_zp);
  uint32_t out_len = 0;
  const int8_t *y = (const int8_t *)tg_runtime_output(&out_len);
  float score;
  if (s.score_kind == SCORE_OUTPUT0) {
    score = out_scale * (float)((int32_t)y[0] - out_zp);
  } else {
    /* Mean squared error between the window and its reconstruction, in the model's real units. */
    float sum = 0.0f;
    for (uint32_t i = 0; i < bytes; i++) {
      int8_t v = ring[(first + i) % bytes];
      float d = out_scale * (float)((int32_t)y[i] - out_zp) - in_scale * (float)((int32_t)v - in_zp);
      sum += d * d;
    }
    score = sum / (float)bytes;
  }
  send_score(SCORE_OK, took, score);
}

void tg_stream_poll(void) {
  if (!s.on) return;
  uint32_t now = hal_millis();
  if ((uint32_t)(now - s.last_sample) < s.interval_ms) return;
  s.last_sample += s.interval_ms; /* keep the average rate: step by the interval */
  if ((uint32_t)(now - s.last_sample) > 10u * s.interval_ms) s.last_sample = now;
  float in_scale;
  int32_t in_zp, out_zp;
  float out_scale;
  tg_runtime_io_quantization(&in_scale, &in_zp, &out_scale, &out_zp);
  int8_t *dst = ring + (uint32_t)s.head * s.channel_count;
  for (uint8_t c = 0; c < s.channel_count; c++) {
    float q = ((float)hal_analog_read(s.channels[c]) - s.offset) * s.counts_to_q;
    int32_t v = (q >= 0.0f ? (int32_t)(q + 0.5f) : -(int32_t)(-q + 0.5f)) + in_zp;
    dst[c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
  }
  s.head = (uint16_t)((s.head + 1u) % s.window);
  s.samples++;
  if (s.samples >= s.window && ++s.since_window >= s.hop) {
    s.since_window = 0;
    score_window();
  }
}
