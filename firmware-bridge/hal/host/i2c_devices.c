#include "i2c_devices.h"

#include <math.h>
#include <string.h>

#include "scenario.h"

/* ---------------- MPU6050 (InvenSense register map rev 4.2) ---------------- */

#define MPU_ADDRESS 0x68
#define MPU_GYRO_CONFIG 0x1B
#define MPU_ACCEL_CONFIG 0x1C
#define MPU_DATA 0x3B /* ACCEL_XOUT_H .. GYRO_ZOUT_L: 14 bytes, big-endian */
#define MPU_PWR_MGMT_1 0x6B
#define MPU_WHO_AM_I 0x75

static uint8_t mpu[128];
static uint8_t mpu_ptr;

static void mpu_reset(void) {
  memset(mpu, 0, sizeof mpu);
  mpu[MPU_PWR_MGMT_1] = 0x40; /* powers up asleep */
  mpu[MPU_WHO_AM_I] = 0x68;
}

static int16_t clamp16(double v) {
  v = round(v);
  if (v > 32767) return 32767;
  if (v < -32768) return -32768;
  return (int16_t)v;
}

static void put_be16(uint8_t *p, int16_t v) {
  p[0] = (uint8_t)((uint16_t)v >> 8);
  p[1] = (uint8_t)v;
}

static void mpu_sample(double t) {
  uint8_t *d = mpu + MPU_DATA;
  if (mpu[MPU_PWR_MGMT_1] & 0x40) { /* asleep: no conversions */
    memset(d, 0, 14);
    return;
  }
  double accel_lsb = 16384.0 / (1 << ((mpu[MPU_ACCEL_CONFIG] >> 3) & 3)); /* LSB per g */
  double gyro_lsb = 131.0 / (1 << ((mpu[MPU_GYRO_CONFIG] >> 3) & 3));    /* LSB per deg/s */
  put_be16(d + 0, clamp16(scenario_value(SIG_MPU_AX, t) * accel_lsb));
  put_be16(d + 2, clamp16(scenario_value(SIG_MPU_AY, t) * accel_lsb));
  put_be16(d + 4, clamp16(scenario_value(SIG_MPU_AZ, t) * accel_lsb));
  put_be16(d + 6, clamp16((scenario_value(SIG_MPU_TEMP, t) - 36.53) * 340.0)); /* datasheet: T = raw/340 + 36.53 */
  put_be16(d + 8, clamp16(scenario_value(SIG_MPU_GX, t) * gyro_lsb));
  put_be16(d + 10, clamp16(scenario_value(SIG_MPU_GY, t) * gyro_lsb));
  put_be16(d + 12, clamp16(scenario_value(SIG_MPU_GZ, t) * gyro_lsb));
}

static void mpu_write(const uint8_t *data, uint8_t len) {
  if (!len) return;
  mpu_ptr = data[0] & 0x7F;
  for (uint8_t i = 1; i < len; i++) {
    if (mpu_ptr == MPU_PWR_MGMT_1 && (data[i] & 0x80)) {
      mpu_reset();
    } else if (mpu_ptr != MPU_WHO_AM_I) {
      mpu[mpu_ptr] = data[i];
    }
    mpu_ptr = (mpu_ptr + 1) & 0x7F;
  }
}

static void mpu_read(uint8_t *out, uint8_t len, double t) {
  mpu_sample(t);
  for (uint8_t i = 0; i < len; i++) {
    out[i] = mpu[mpu_ptr];
    mpu_ptr = (mpu_ptr + 1) & 0x7F;
  }
}

/* ---------------- BME280 (Bosch datasheet rev 1.6) ---------------- */

#define BME_CALIB_TP 0x88
#define BME_CALIB_H1 0xA1
#define BME_ID 0xD0
#define BME_RESET 0xE0
#define BME_CALIB_H 0xE1
#define BME_CTRL_HUM 0xF2
#define BME_CTRL_MEAS 0xF4
#define BME_DATA 0xF7

/* Trimming values of a real part; what a driver reads back from 0x88.. and 0xE1.. */
static const uint16_t T1 = 27504;
static const int16_t T2 = 26435, T3 = -1000;
static const uint16_t P1 = 36477;
static const int16_t P2 = -10685, P3 = 3024, P4 = 2855, P5 = 140, P6 = -7, P7 = 15500, P8 = -14600, P9 = 6000;
static const uint8_t H1 = 75;
static const int16_t H2 = 362;
static const uint8_t H3 = 0;
static const int16_t H4 = 313, H5 = 50;
static const int8_t H6 = 30;

static uint8_t bme[256];
static uint8_t bme_ptr;

static void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void bme_reset(void) {
  memset(bme, 0, sizeof bme);
  uint8_t *c = bme + BME_CALIB_TP;
  const uint16_t tp[12] = {T1, (uint16_t)T2, (uint16_t)T3, P1, (uint16_t)P2, (uint16_t)P3,
                           (uint16_t)P4, (uint16_t)P5, (uint16_t)P6, (uint16_t)P7, (uint16_t)P8, (uint16_t)P9};
  for (int i = 0; i < 12; i++) put_le16(c + 2 * i, tp[i]);
  bme[BME_CALIB_H1] = H1;
  put_le16(bme + BME_CALIB_H, (uint16_t)H2);
  bme[0xE3] = H3;
  bme[0xE4] = (uint8_t)(H4 >> 4); /* H4 = E4[7:0] << 4 | E5[3:0] */
  bme[0xE5] = (uint8_t)((H4 & 0x0F) | ((H5 & 0x0F) << 4)); /* H5 = E6[7:0] << 4 | E5[7:4] */
  bme[0xE6] = (uint8_t)(H5 >> 4);
  bme[0xE7] = (uint8_t)H6;
  bme[BME_ID] = 0x60;
  /* Data registers before the first conversion: 0x80000 (P, T) and 0x8000 (H). */
  bme[0xF7] = 0x80;
  bme[0xFA] = 0x80;
  bme[0xFD] = 0x80;
}

/* The datasheet's 32-bit integer compensation (what johnny-five computes), forward direction. */
static int32_t t_fine_of(int32_t adc_t) {
  int32_t v1 = (int32_t)((((int64_t)(adc_t >> 3) - ((int32_t)T1 << 1)) * T2) >> 11);
  int64_t d = (int64_t)(adc_t >> 4) - T1;
  int32_t v2 = (int32_t)((((int64_t)(int32_t)((d * d) >> 12)) * T3) >> 14);
  return v1 + v2;
}

static int32_t temperature_centi(int32_t t_fine) { return (t_fine * 5 + 128) >> 8; }

static uint32_t pressure_pa(int32_t adc_p, int32_t t_fine) {
  int32_t v1 = (t_fine >> 1) - 64000;
  int32_t v2 = (int32_t)((((int64_t)(v1 >> 2) * (v1 >> 2)) >> 11) * P6);
  v2 += (int32_t)((int64_t)v1 * P5 * 2);
  v2 = (v2 >> 2) + ((int32_t)P4 << 16);
  v1 = (int32_t)((((P3 * ((((int64_t)(v1 >> 2) * (v1 >> 2)) >> 13))) >> 3) + (((int64_t)P2 * v1) >> 1)) >> 18);
  v1 = (int32_t)(((32768 + (int64_t)v1) * P1) >> 15);
  if (v1 == 0) return 0;
  uint32_t p = (uint32_t)(((uint32_t)((1048576 - adc_p) - (v2 >> 12))) * 3125u);
  if (p < 0x80000000u) p = (p << 1) / (uint32_t)v1;
  else p = (p / (uint32_t)v1) * 2;
  v1 = (int32_t)(((int64_t)P9 * (int32_t)(((int64_t)(p >> 3) * (p >> 3)) >> 13)) >> 12);
  v2 = (int32_t)(((int64_t)(int32_t)(p >> 2) * P8) >> 13);
  return (uint32_t)((int32_t)p + ((v1 + v2 + P7) >> 4));
}

static uint32_t humidity_q10(int32_t adc_h, int32_t t_fine) {
  int64_t x = t_fine - 76800;
  int64_t a = (((((int64_t)adc_h << 14) - ((int64_t)H4 << 20) - (H5 * x)) + 16384) >> 15);
  int64_t b = (((((((x * H6) >> 10) * (((x * H3) >> 11) + 32768)) >> 10) + 2097152) * H2 + 8192) >> 14);
  x = a * b;
  x -= (((((x >> 15) * (x >> 15)) >> 7) * H1) >> 4);
  if (x < 0) x = 0;
  if (x > 419430400) x = 419430400;
  return (uint32_t)(x >> 12);
}

/* The raw reading (20-bit T/P, 16-bit H) whose compensated value is nearest the target. */
static int32_t search_raw(double target, int32_t max_raw, int increasing, double (*value)(int32_t, int32_t),
                          int32_t t_fine) {
  int32_t lo = 0, hi = max_raw;
  while (lo < hi) { /* first raw whose value has passed the target */
    int32_t mid = lo + (hi - lo) / 2;
    double v = value(mid, t_fine);
    if (increasing ? v >= target : v <= target) hi = mid;
    else lo = mid + 1;
  }
  if (lo > 0 && fabs(value(lo - 1, t_fine) - target) < fabs(value(lo, t_fine) - target)) lo--;
  return lo;
}

static double temp_value(int32_t raw, int32_t unused) {
  (void)unused;
  return temperature_centi(t_fine_of(raw)) / 100.0;
}
static double pressure_value(int32_t raw, int32_t t_fine) { return pressure_pa(raw, t_fine); }
static double humidity_value(int32_t raw, int32_t t_fine) { return humidity_q10(raw, t_fine) / 1024.0; }

static void bme_sample(double t) {
  uint8_t meas = bme[BME_CTRL_MEAS];
  if ((meas & 3) == 0) return; /* sleep: registers keep the last conversion */
  if ((meas & 3) != 3) bme[BME_CTRL_MEAS] &= (uint8_t)~3; /* forced mode: one conversion, back to sleep */
  int32_t adc_t = 0x80000, adc_p = 0x80000, adc_h = 0x8000;
  if ((meas >> 5) & 7) adc_t = search_raw(scenario_value(SIG_BME_TEMP, t), 0xFFFFF, 1, temp_value, 0);
  int32_t t_fine = t_fine_of(adc_t);
  if ((meas >> 2) & 7) adc_p = search_raw(scenario_value(SIG_BME_PRESSURE, t), 0xFFFFF, 0, pressure_value, t_fine);
  if (bme[BME_CTRL_HUM] & 7)
    adc_h = search_raw(scenario_value(SIG_BME_HUMIDITY, t), 0xFFFF, 1, humidity_value, t_fine);
  uint8_t *d = bme + BME_DATA;
  d[0] = (uint8_t)(adc_p >> 12);
  d[1] = (uint8_t)(adc_p >> 4);
  d[2] = (uint8_t)((adc_p & 0x0F) << 4);
  d[3] = (uint8_t)(adc_t >> 12);
  d[4] = (uint8_t)(adc_t >> 4);
  d[5] = (uint8_t)((adc_t & 0x0F) << 4);
  d[6] = (uint8_t)(adc_h >> 8);
  d[7] = (uint8_t)adc_h;
}

static void bme_write(const uint8_t *data, uint8_t len) {
  if (!len) return;
  /* Writes are register/value pairs; the first register also sets the read pointer. */
  bme_ptr = data[0];
  for (uint8_t i = 1; i + 0 < len; i += 2) {
    uint8_t reg = data[i - 1];
    uint8_t value = data[i];
    if (reg == BME_RESET) {
      if (value == 0xB6) bme_reset();
    } else if (reg == BME_CTRL_HUM || reg == BME_CTRL_MEAS || reg == 0xF5) {
      bme[reg] = value;
    }
  }
}

static void bme_read(uint8_t *out, uint8_t len, double t) {
  if (bme_ptr <= BME_DATA + 7 && bme_ptr + len > BME_DATA) bme_sample(t);
  for (uint8_t i = 0; i < len; i++) out[i] = bme[(uint8_t)(bme_ptr + i)];
  bme_ptr = (uint8_t)(bme_ptr + len);
}

/* ---------------- bus ---------------- */

void i2c_devices_init(void) {
  mpu_reset();
  bme_reset();
}

int i2c_device_write(uint8_t address, const uint8_t *data, uint8_t len, double t) {
  (void)t;
  if (address == MPU_ADDRESS) mpu_write(data, len);
  else if (address == 0x76 || address == 0x77) bme_write(data, len);
  else return -1;
  return 0;
}

int i2c_device_read(uint8_t address, uint8_t *data, uint8_t len, double t) {
  if (address == MPU_ADDRESS) mpu_read(data, len, t);
  else if (address == 0x76 || address == 0x77) bme_read(data, len, t);
  else return -1;
  return 0;
}
