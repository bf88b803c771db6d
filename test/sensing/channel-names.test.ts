// Channel names reach dashboards with '.' turned into '_' (Home Assistant entity ids, Ignition tag names):
// a board whose channels collide there is refused, naming both, instead of one silently hiding the other.
import { describe, expect, it } from 'vitest';
import { AdcSpec, channelsOfAll, SensorSpec } from '../../src/sensing/index.js';

const adc = AdcSpec.parse({});
const accel = SensorSpec.parse({
  type: 'accelerometer',
  controller: 'ADXL335',
  name: 'vib',
  pins: ['A0', 'A1', 'A2'],
});

describe('channel names on dashboards', () => {
  it('refuses vib.x beside vib_x, naming both', () => {
    const other = SensorSpec.parse({ type: 'analog', name: 'vib_x', pin: 'A3' });
    expect(() => channelsOfAll([accel, other], adc)).toThrow(
      /channels "vib.x" and "vib_x" would both be "vib_x" on MQTT dashboards/,
    );
  });

  it('takes names that differ in letters', () => {
    const other = SensorSpec.parse({ type: 'analog', name: 'vibx', pin: 'A3' });
    expect(channelsOfAll([accel, other], adc).map((c) => c.name)).toEqual([
      'vib.x',
      'vib.y',
      'vib.z',
      'vibx',
    ]);
  });
});
