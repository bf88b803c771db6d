// What a board's sampling asks of its serial link, said before the gateway starts rather than found out from
// a stream of data-quality windows.
import { describe, expect, it } from 'vitest';
import { linkLoad, linkOverload } from '../../src/gateway/link-budget.js';
import { SensorSpec } from '../../src/sensing/index.js';

const adxl = SensorSpec.parse({
  type: 'accelerometer',
  controller: 'ADXL335',
  name: 'vib',
  pins: ['A0', 'A1', 'A2'],
});

describe('serial link budget', () => {
  it('counts the mark and three bytes per analog pin a slot, against ten bits a byte', () => {
    // 6 + 3 × 3 = 15 B a slot; 1 kHz over 115200 baud (11,520 B/s): at most 500 Hz (slots are whole ms).
    expect(linkLoad([adxl], 1000, 115200)).toEqual({
      slotsPerSecond: 1000,
      bytesPerSlot: 15,
      bytesPerSecond: 15000,
      capacityBytesPerSecond: 11520,
      maxRateHz: 500,
    });
    // A pin read by two sensors is sent once; an MPU6050's 14-byte read adds a 35-byte I2C reply.
    const more = [
      adxl,
      SensorSpec.parse({ type: 'analog', name: 'again', pin: 'A0' }),
      SensorSpec.parse({ type: 'accelerometer', controller: 'MPU6050', name: 'imu' }),
      SensorSpec.parse({ type: 'thermometer', controller: 'MPU6050', name: 'die' }),
    ];
    expect(linkLoad(more, 100, 57600).bytesPerSlot).toBe(15 + 35);
  });

  it('says nothing when the link carries the sampling, and gives the numbers and the fixes when not', () => {
    expect(linkOverload({ id: 'fan', sensors: [adxl], samplingRateHz: 500 }, 115200)).toBeNull();
    const why = linkOverload({ id: 'fan', sensors: [adxl], samplingRateHz: 1000 }, 115200)!;
    expect(why).toContain('board fan: 1,000 slots/s of 15 B need 15,000 B/s');
    expect(why).toContain('more than 115,200 baud carries (11,520 B/s)');
    expect(why).toContain('Lower samplingRateHz to 500 or less');
  });
});
