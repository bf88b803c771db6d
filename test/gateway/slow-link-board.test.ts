// A board asked for more samples than its serial link carries must look like a data-quality problem, never a
// faulty machine. An emulated Uno (avr8js) running the Arduino-library build of the bridge sits behind a real
// pty; the gateway opens it like a real port and asks for an ADXL335 on A0–A2 at 1 kHz: 15 bytes a slot,
// 15,000 B/s, over 115200 baud (11,765 B/s). The board drops whole slots and its marks say which; the gateway
// counts exactly those as lost samples and reports data quality.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, LiveDecision } from '../../src/detect/index.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { startAvrPty } from '../../src/sim/avr-pty.js';
import { ROOT } from '../helpers/cli.js';
import { haveArduinoBuilder } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** Slot numbers off the raw wire, in order (each reset of the board starts them again). */
function marks(board: AvrBoard): number[] {
  const out: number[] = [];
  let sysex: number[] | null = null;
  board.transport.on('data', (chunk: Buffer) => {
    for (const b of chunk) {
      if (sysex) {
        if (b === 0xf7) {
          if (sysex[0] === 0x0c && sysex.length === 4)
            out.push(sysex[1]! | (sysex[2]! << 7) | (sysex[3]! << 14));
          sysex = null;
        } else sysex.push(b);
      } else if (b === 0xf0) sysex = [];
    }
  });
  return out;
}

describe.skipIf(!haveArduinoBuilder)(
  'an Uno whose link is slower than its sampling, behind the gateway',
  () => {
    const hex = join(ROOT, 'firmware-bridge/build/arduino/arduino-uno.hex');
    beforeAll(() => {
      execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'arduino'], { stdio: 'ignore' });
    }, 180_000);

    it('counts the slots the board dropped as lost samples, reports data quality, and raises no machine alert', async () => {
      // A 1.65 V ± 0.2 V, 50 Hz vibration on each axis.
      const board = new AvrBoard({
        hex,
        realTime: true,
        analogAt: (c, t) => (c < 3 ? 1.65 + 0.2 * Math.sin(2 * Math.PI * 50 * t + c) : 0),
      });
      stops.push(() => board.stop());
      const slots = marks(board);
      const pty = await startAvrPty(board);
      stops.push(() => pty.stop());
      const dataDir = mkdtempSync(join(tmpdir(), 'tg-slow-link-'));
      const config = GatewayConfig.parse({
        gateway: { id: 'plant', dataDir },
        boards: [
          {
            id: 'fan',
            profile: 'arduino-uno',
            port: pty.path,
            samplingRateHz: 1000,
            sensors: [
              { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] },
            ],
          },
        ],
        mqtt: { embedded: { port: 0 } },
      });
      const warnings: string[] = [];
      const logger = {
        debug() {},
        info() {},
        error() {},
        warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
      };
      const gateway = await Gateway.start({ config, baseDir: dataDir, logger });
      stops.push(() => gateway.stop());
      // Said at start, with the numbers, before a single window shows it.
      expect(warnings.find((w) => w.includes('slots/s'))).toMatch(
        /need 15,000 B\/s, more than 115,200 baud carries/,
      );
      const runner = gateway.runners[0]!;
      const decisions: LiveDecision[] = [];
      const alerts: Alert[] = [];
      runner.on('decision', (d) => decisions.push(d));
      runner.on('alert', (a) => alerts.push(a));
      const status = () => gateway.status().boards[0]!;
      await waitFor('streaming', () => status().state === 'streaming', 30_000);
      await waitFor('windows decided', () => decisions.length >= 6, 60_000);

      // Freeze the board, let what is on the way arrive, then compare with the marks on the wire.
      board.stop();
      await new Promise((r) => setTimeout(r, 500));
      const since = slots.findLastIndex((s, i) => i > 0 && s < slots[i - 1]!); // the gateway's open reset the board
      const run = slots.slice(Math.max(0, since));
      let gaps = 0;
      for (let i = 1; i < run.length; i++) gaps += run[i]! - run[i - 1]! - 1;
      const span = run.at(-1)! - run[0]! + 1;
      console.log(
        JSON.stringify({
          slots: span,
          sent: run.length,
          gapsInMarks: gaps,
          lostSamples: status().lostSamples,
          decisions: decisions.length,
          dataQuality: decisions.filter((d) => d.verdict === 'data-quality').length,
          alerts: alerts.map((a) => a.kind),
        }),
      );
      expect(gaps).toBeGreaterThan(0.2 * span);
      expect(status().lostSamples).toBe(gaps);
      expect(decisions.every((d) => d.verdict === 'data-quality')).toBe(true);
      expect(alerts.filter((a) => a.kind === 'machine')).toEqual([]);
      const quality = alerts.filter((a) => a.kind === 'data-quality');
      expect(quality).toHaveLength(1);
      expect(quality[0]!.message).toMatch(/samples lost/);
    }, 180_000);
  },
);
