import { z } from 'zod';

/** Analog pin names as johnny-five takes them ("A0"…"A15"). */
const AnalogPin = z.string().regex(/^A(1[0-5]|[0-9])$/, 'an analog pin such as "A0"');
/** A name that becomes the channel name (and its prefix for multi-axis sensors). */
const ChannelName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/i, 'letters, digits, _ or -, starting with a letter (e.g. "vib")');
const I2cAddress = z.number().int().min(0x08).max(0x77);

/** A generic analog sensor: value = ADC counts × scale + offset (johnny-five `Sensor`). */
export const AnalogSensorSpec = z.object({
  type: z.literal('analog'),
  name: ChannelName,
  pin: AnalogPin,
  scale: z.number().default(1),
  offset: z.number().default(0),
  unit: z.string().default('counts'),
  /** Values outside this range cannot come from a working sensor (used to tell sensor faults apart). */
  plausible: z.tuple([z.number(), z.number()]).optional(),
});

/** LM35 (10 mV/°C from 0 V) or TMP36 (10 mV/°C, 500 mV at 0 °C) on an analog pin. */
export const AnalogThermometerSpec = z.object({
  type: z.literal('thermometer'),
  controller: z.enum(['LM35', 'TMP36']),
  name: ChannelName,
  pin: AnalogPin,
});

/** Temperature from an I2C part: the MPU6050's die sensor or a BME280. */
export const I2cThermometerSpec = z.object({
  type: z.literal('thermometer'),
  controller: z.enum(['MPU6050', 'BME280']),
  name: ChannelName,
  address: I2cAddress.optional(),
});

/** ADXL335 analog accelerometer: zero-g at supply/2, sensitivity ratiometric (300 mV/g at 3 V). */
export const Adxl335Spec = z.object({
  type: z.literal('accelerometer'),
  controller: z.literal('ADXL335'),
  name: ChannelName,
  pins: z.tuple([AnalogPin, AnalogPin, AnalogPin]),
  supplyV: z.number().min(1.8).max(3.6).default(3.3),
});

/** MPU6050 accelerometer over I2C at its power-on full scale (±2 g, 16384 LSB/g). */
export const Mpu6050AccelSpec = z.object({
  type: z.literal('accelerometer'),
  controller: z.literal('MPU6050'),
  name: ChannelName,
  address: I2cAddress.default(0x68),
});

export const SensorSpec = z.union([
  AnalogSensorSpec,
  AnalogThermometerSpec,
  I2cThermometerSpec,
  Adxl335Spec,
  Mpu6050AccelSpec,
]);
export type SensorSpec = z.infer<typeof SensorSpec>;
export type SensorSpecInput = z.input<typeof SensorSpec>;

/** The board's ADC; an Uno (and the host virtual board) reads 10 bits against a 5 V reference. */
export const AdcSpec = z.object({
  vref: z.number().positive().default(5),
  bits: z.number().int().min(8).max(16).default(10),
});
export type AdcSpec = z.infer<typeof AdcSpec>;

export const BoardSensingConfig = z.object({
  /** Board id, as alerts and publishing name it. */
  id: ChannelName,
  /** Firmata sampling interval is 1000 / rate ms (whole ms, at least 1). */
  samplingRateHz: z.number().positive().max(1000).default(100),
  adc: AdcSpec.default({ vref: 5, bits: 10 }),
  sensors: z.array(SensorSpec).min(1),
  /** No sample for this long: the board is `stale`. */
  staleAfterMs: z.number().positive().default(1000),
  /** No sample for this long, or the transport closed: the board is `lost` and we reconnect. */
  lostAfterMs: z.number().positive().default(5000),
});
export type BoardSensingConfig = z.infer<typeof BoardSensingConfig>;
export type BoardSensingConfigInput = z.input<typeof BoardSensingConfig>;
