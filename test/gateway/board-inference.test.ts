// inference: board on the host firmware: the gateway flashes the int8 model, then each window's model
// input goes to the board's runtime over the serial link johnny-five uses, and the score comes from the
// board's output. The scores must be the gateway int8 scorer's for the same windows (the board runs
// TFLite's reference kernels, the interpreter XNNPACK's, so a ±1 step on a few outputs moves the error a
// little), and a board that cannot run the model falls back to the gateway without losing a window.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Int8AutoencoderScorer, type LiveDecision, loadSidecar } from '../../src/detect/index.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { buildHostFirmware } from '../../src/link/index.js';
import { FeatureExtractor } from '../../src/sensing/features.js';
import { ROOT } from '../helpers/cli.js';

const MODEL = join(ROOT, 'models', 'motor-vib');
const haveQemu = (() => {
  try {
    execFileSync('qemu-system-arm', ['--version'], { stdio: 'ignore' });
    execFileSync('arm-none-eabi-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const sensors = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function config(
  dataDir: string,
  boards: { id: string; inference: 'board' | 'gateway'; firmware?: 'host' | 'js' }[],
) {
  return GatewayConfig.parse({
    gateway: { id: 'plant', dataDir },
    boards: boards.map((b) => ({
      id: b.id,
      profile: 'virtual-host',
      virtual: { scenario: 'bearing-outer-race', firmware: b.firmware ?? 'host' },
      samplingRateHz: 1000,
      sensors,
      model: MODEL,
      inference: b.inference,
    })),
    mqtt: { embedded: { port: 0 } },
  });
}

describe('inference on the board (host firmware)', () => {
  beforeAll(async () => {
    await buildHostFirmware();
  }, 120_000);

  it('scores every window with the board’s runtime, as the gateway’s int8 scorer would', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-board-'));
    const gateway = await Gateway.start({
      config: config(dataDir, [{ id: 'press', inference: 'board' }]),
      baseDir: dataDir,
    });
    stops.push(() => gateway.stop());
    const decisions: LiveDecision[] = [];
    gateway.runners[0]!.on('decision', (d) => decisions.push(d));
    const status = () => gateway.status().boards[0]!;
    expect(status().inference).toBe('board');
    expect(status().deployment).toMatchObject({ bytes: 3664 });
    await until(
      'ten windows scored on the board',
      () => (status().boardInference?.onBoard ?? 0) >= 10,
      30_000,
    );
    const s = status();
    expect(s.boardInference).toMatchObject({ fellBack: 0, lastError: null });
    expect(s.boardInference!.lastMicros).toBeGreaterThanOrEqual(0);

    // The same windows through the gateway's own int8 scorer.
    const local = await Int8AutoencoderScorer.open(MODEL);
    const extractor = new FeatureExtractor(loadSidecar(MODEL).sidecar.features);
    const scored = decisions.filter((d) => d.score !== null).slice(0, 10);
    expect(scored.length).toBe(10);
    for (const d of scored) {
      const want = local.scoreBatch([extractor.extract(d.window.channels)])[0]!;
      expect(Math.abs(d.score! - want)).toBeLessThanOrEqual(0.05 * want + 1e-3);
    }
    local.dispose();
  }, 90_000);

  it('falls back to the gateway, and says why, when the board cannot run the model', async () => {
    // A board whose runtime refused its model (HARD_SWISH is not among the kernels): every window is
    // still scored, on the gateway, with the same score the int8 scorer gives, and the reason is kept.
    const { flashModel, openLink, startHostBoard } = await import('../../src/link/index.js');
    const { BoardScorer } = await import('../../src/gateway/board-scorer.js');
    const { Int8Graph } = await import('../helpers/int8-graph.js');
    const hb = await startHostBoard({});
    stops.push(() => hb.stop());
    const link = await openLink({ path: hb.path });
    stops.unshift(() => link.close());
    const g = new Int8Graph();
    const x = g.tensor([1, 8], 0.1, 0);
    await flashModel(link, g.build(x, g.op(117, 1, [x], g.tensor([1, 8], 0.1, 0), null)));
    const local = await Int8AutoencoderScorer.open(MODEL);
    const reasons: string[] = [];
    const scorer = new BoardScorer(
      local,
      () => link.port,
      (why) => reasons.push(why),
    );
    const features = Array.from({ length: 3 }, (_, k) =>
      Float32Array.from({ length: 36 }, (_, i) => Math.sin(i + k)),
    );
    const scores = await scorer.scoreBatch(features);
    expect(Array.from(scores)).toEqual(Array.from(local.scoreBatch(features)));
    expect(scorer.stats).toMatchObject({
      onBoard: 0,
      fellBack: 3,
      lastError: expect.stringMatching(/HARD_SWISH/),
    });
    expect(reasons).toHaveLength(1); // said once, not once per window
    scorer.dispose();
    local.dispose();
  }, 60_000);

  it.skipIf(!haveQemu)(
    'runs on the emulated Cortex-M3 too: a serial board on QEMU’s pty, model deployed, windows scored there',
    async () => {
      const { startQemuBoard } = await import('../../src/link/index.js');
      // Without -icount QEMU's clock is real time, so Firmata's 1 kHz sampling is 1 kHz for the gateway too.
      const qb = await startQemuBoard({ icountShift: false });
      stops.push(() => qb.stop());
      const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-qemu-'));
      const cfg = GatewayConfig.parse({
        gateway: { id: 'plant', dataDir },
        boards: [
          {
            id: 'm3',
            profile: 'qemu-mps2-an385',
            port: qb.path,
            samplingRateHz: 1000,
            adc: { vref: 3.3, bits: 12 }, // its analog pins read a 12-bit test sine around mid-scale
            sensors,
            model: MODEL,
            inference: 'board',
          },
        ],
        mqtt: { embedded: { port: 0 } },
      });
      const gateway = await Gateway.start({ config: cfg, baseDir: dataDir });
      stops.unshift(() => gateway.stop());
      const status = () => gateway.status().boards[0]!;
      expect(status().deployment).toMatchObject({ flashed: true, bytes: 3664 });
      await until(
        'windows scored on the QEMU board',
        () => (status().boardInference?.onBoard ?? 0) >= 3,
        60_000,
      ).catch((e: Error) => {
        const { latest, channels, ...rest } = status();
        throw new Error(`${e.message}: ${JSON.stringify(rest)}`);
      });
      expect(status().boardInference).toMatchObject({ fellBack: 0 });
    },
    120_000,
  );

  it('refuses inference: board on a JS virtual board, which has no runtime', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-board-'));
    await expect(
      Gateway.start({
        config: config(dataDir, [{ id: 'press', inference: 'board', firmware: 'js' }]),
        baseDir: dataDir,
      }),
    ).rejects.toThrow(/no on-board runtime/);
  });
});
