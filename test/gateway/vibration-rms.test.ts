// A vibration channel's latest sample, published once a second, says nothing about the vibration: the board
// state carries each moving channel's RMS about the mean over the latest window (gravity left out).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { waitFor } from '../helpers/wait.js';

describe('vibration RMS in the board state', () => {
  it('is reported per moving channel, about the mean (z reads ~1 g of gravity, its RMS does not)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-rms-'));
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir: dir },
      boards: [
        {
          id: 'lathe',
          profile: 'virtual-host',
          virtual: { scenario: 'healthy', firmware: 'js' },
          samplingRateHz: 1000,
          sensors: [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }],
        },
      ],
      mqtt: { embedded: { port: 0 } },
      dashboard: { enabled: false },
    });
    const gateway = await Gateway.start({ config, baseDir: dir });
    try {
      const lathe = () => gateway.status().boards[0]!;
      await waitFor('a window', () => Object.keys(lathe().rms).length === 3, 20_000);
      const { rms, latest, channels } = lathe();
      expect(channels.filter((c) => c.moving).map((c) => c.name)).toEqual(['vib.x', 'vib.y', 'vib.z']);
      expect(Math.abs(latest['vib.z']!)).toBeGreaterThan(0.5);
      for (const c of ['vib.x', 'vib.y', 'vib.z']) {
        expect(rms[c]).toBeGreaterThan(0.001);
        expect(rms[c]).toBeLessThan(0.5);
      }
    } finally {
      await gateway.stop();
    }
  }, 40_000);
});
