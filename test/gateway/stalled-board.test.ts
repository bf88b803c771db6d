// A board whose loop stalls (here: its process stopped with SIGSTOP, as a busy host or a blocking write
// would) must never look like a faulty machine. A short stall is caught up with each sample read at its own
// time; a stall longer than the board's sample ring (250 slots on the host build) loses samples, which the
// board's sample marks show, and the windows holding the gap are reported as data quality, not scored.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, LiveDecision } from '../../src/detect/index.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import type { SerialBoardTransport } from '../../src/gateway/serial-transports.js';
import { buildHostFirmware } from '../../src/link/index.js';
import { ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a stalled host-firmware board', () => {
  beforeAll(async () => {
    await buildHostFirmware();
  }, 120_000);

  it('catches up a short stall, reports a long one as lost samples, and never raises a machine alert', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-stall-'));
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir },
      boards: [
        {
          id: 'press',
          profile: 'virtual-host',
          virtual: { scenario: 'healthy', firmware: 'host' },
          samplingRateHz: 1000,
          sensors: [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }],
          model: join(ROOT, 'models', 'motor-vib'),
        },
      ],
      mqtt: { embedded: { port: 0 } },
    });
    const gateway = await Gateway.start({ config, baseDir: dataDir });
    stops.push(() => gateway.stop());
    const runner = gateway.runners[0]!;
    const decisions: LiveDecision[] = [];
    const alerts: Alert[] = [];
    runner.on('decision', (d) => decisions.push(d));
    runner.on('alert', (a) => alerts.push(a));
    const status = () => gateway.status().boards[0]!;
    await waitFor('streaming', () => status().state === 'streaming', 20_000);
    await waitFor('windows scored', () => decisions.length >= 6, 20_000);
    const board = (runner.transport as SerialBoardTransport).process!()!;

    // Within the backlog: nothing is lost.
    board.kill('SIGSTOP');
    await sleep(120);
    board.kill('SIGCONT');
    await sleep(3000);
    expect(status().lostSamples).toBe(0);
    expect(decisions.filter((d) => d.verdict === 'data-quality')).toEqual([]);

    // Beyond it: the marks say how many slots were lost, and those windows are not scored.
    board.kill('SIGSTOP');
    await sleep(800);
    board.kill('SIGCONT');
    await waitFor('the gap reported', () => status().lostSamples > 0, 10_000);
    await sleep(3000);
    const lost = status().lostSamples;
    expect(lost).toBeGreaterThan(800 - 250 - 150);
    expect(lost).toBeLessThan(800 - 250 + 400);
    expect(decisions.filter((d) => d.verdict === 'data-quality').length).toBeGreaterThanOrEqual(2);
    expect(alerts.filter((a) => a.kind === 'machine')).toEqual([]);
    const quality = alerts.filter((a) => a.kind === 'data-quality');
    expect(quality).toHaveLength(1);
    expect(quality[0]!.message).toMatch(/samples lost/);
  }, 90_000);
});
