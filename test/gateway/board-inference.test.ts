// `inference: board` on the real firmware-bridge (host build on a pty): the gateway flashes the int8
// model, sends each window's int8 input over the port johnny-five reads, and the board's output gives
// the gateway int8 scorer's score for the same window (the board runs TFLite's reference kernels, the
// interpreter XNNPACK's, so a ±1 step on a few outputs moves the error a little). When the board cannot
// run the model, windows are scored on the gateway instead, none is lost, the failure shows in logs,
// status and /health, and the board takes over again once it can.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { Int8AutoencoderScorer, type LiveDecision, loadSidecar } from '../../src/detect/index.js';
import { BoardScorer } from '../../src/gateway/board-scorer.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { hostTransport } from '../../src/gateway/serial-transports.js';
import { jsVirtualTransport } from '../../src/gateway/transports.js';
import {
  boardInfo,
  buildHostFirmware,
  flashModel,
  Link,
  openLink,
  startHostBoard,
  startQemuBoard,
} from '../../src/link/index.js';
import { FeatureExtractor } from '../../src/sensing/index.js';
import { readTflite } from '../../src/tflite/index.js';
import { ROOT } from '../helpers/cli.js';
import { oneOpModel, opWithoutKernel } from '../helpers/int8-graph.js';
import { waitFor } from '../helpers/wait.js';

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
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(dataDir: string) {
  return GatewayConfig.parse({
    gateway: { id: 'plant', dataDir },
    boards: [
      { id: 'press', inference: 'board' },
      { id: 'lathe', inference: 'gateway' },
    ].map((b) => ({
      ...b,
      profile: 'virtual-host',
      virtual: { scenario: 'healthy', firmware: 'host' },
      samplingRateHz: 1000,
      sensors,
      model: MODEL,
    })),
    mqtt: { embedded: { port: 0 } },
  });
}

describe('inference: board config', () => {
  const board = {
    id: 'press',
    profile: 'virtual-host',
    virtual: { scenario: 'healthy' },
    sensors,
    inference: 'board',
  };
  const issues = (b: object) =>
    GatewayConfig.safeParse({ boards: [b] }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('is refused, saying why, without a model, with the float scorer, or on a js virtual board', () => {
    expect(issues(board)).toEqual([expect.stringMatching(/^boards\.0\.inference: .*needs a model/)]);
    expect(issues({ ...board, model: MODEL, scorer: 'float' })).toEqual([
      expect.stringMatching(/^boards\.0\.scorer: .*int8 model/),
    ]);
    expect(issues({ ...board, model: MODEL, virtual: { scenario: 'healthy', firmware: 'js' } })).toEqual([
      expect.stringMatching(/^boards\.0\.virtual\.firmware: .*no(ne)? .*firmware: host/),
    ]);
    expect(issues({ ...board, model: MODEL })).toBeUndefined();
  });
});

describe('gateway with inference on a host firmware board', () => {
  beforeAll(async () => {
    await buildHostFirmware();
  }, 120_000);

  it('scores windows on the board as the gateway int8 scorer would, and falls back when the board cannot', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-infer-'));
    // The test's own link on the press's port, beside johnny-five and the gateway's link (as a
    // second program holding the same cable would be): it is how the test damages the board's model.
    let testLink: Link | null = null;
    const logged: string[] = [];
    const log = (level: string) => (_obj: object, msg?: string) => logged.push(`${level} ${msg ?? ''}`);
    const gateway = await Gateway.start({
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      config: config(dataDir),
      baseDir: dataDir,
      transportFor: (board) => {
        const t = hostTransport(board, dataDir, dataDir);
        if (board.id !== 'press') return t;
        return {
          ...t,
          open: async () => {
            const port = await t.open();
            testLink = new Link(port, 'test', null);
            return port;
          },
        };
      },
    });
    cleanups.push(() => gateway.stop());
    const dashboard = await startDashboard(gateway, { host: '127.0.0.1', port: 0 });
    cleanups.push(() => dashboard.close());
    const status = (id: string) => gateway.status().boards.find((b) => b.id === id)!;

    const press = status('press');
    expect(press.inference).toBe('board');
    expect(press.deployment).toMatchObject({ flashed: true, bytes: 3664 });
    expect(press.model?.kind).toBe('board');
    expect(status('lathe').boardInference).toBeNull();

    // The gateway's own int8 scorer, on the features of the very windows the board scored.
    const reference = await Int8AutoencoderScorer.open(MODEL);
    cleanups.push(async () => reference.dispose());
    const extractor = new FeatureExtractor(loadSidecar(MODEL).sidecar.features);
    const scored: { score: number; gateway: number; on: 'board' | 'gateway' | null }[] = [];
    let decisions = 0;
    gateway.on('decision', (d: LiveDecision) => {
      if (d.board !== 'press') return;
      decisions++;
      if (d.score === null) return;
      const features = extractor.extract(d.window.channels);
      const on = status('press').boardInference!.lastOn;
      scored.push({ score: d.score, gateway: reference.scoreBatch([features])[0]!, on });
    });

    await waitFor(
      '10 windows scored on the board',
      () => (status('press').boardInference?.onBoard ?? 0) >= 10,
      30_000,
    );
    const onBoard = status('press').boardInference!;
    expect(onBoard).toMatchObject({ lastOn: 'board', fellBack: 0, lastError: null, retryAt: null });
    expect(onBoard.lastMicros).not.toBeNull();
    expect(onBoard.meanMicros).toBeGreaterThanOrEqual(0);
    const health = (await (await fetch(`${dashboard.url}/health`)).json()) as {
      inference: Record<string, { on: string; windows?: number; lastMicros?: number }>;
    };
    expect(health.inference.press).toMatchObject({ on: 'board', lastMicros: expect.any(Number) });
    expect(health.inference.press!.windows).toBeGreaterThan(0);
    expect(health.inference.lathe).toEqual({ on: 'gateway' });

    // Board kernels (TFLite reference) and the interpreter (XNNPACK) may differ by one step on an
    // output element; one step s on every element moves the mean squared error by at most
    // 2·s·√score + s² (Cauchy–Schwarz), so that is the tolerance. Those steps are rare, so some
    // windows agree exactly (a board answering one step off everywhere would not).
    const parsed = readTflite(new Uint8Array(readFileSync(join(MODEL, 'model.int8.tflite'))));
    const g = parsed.subgraphs[0]!;
    const s = g.tensors[g.outputs[0]!]!.quantization!.scale[0]!;
    const fromBoard = scored.filter((x) => x.on === 'board');
    expect(fromBoard.length).toBeGreaterThanOrEqual(10);
    for (const x of fromBoard)
      expect(Math.abs(x.score - x.gateway)).toBeLessThanOrEqual(2 * s * Math.sqrt(x.gateway) + s * s);
    const meanRel =
      fromBoard.reduce((a, x) => a + Math.abs(x.score - x.gateway) / x.gateway, 0) / fromBoard.length;
    expect(meanRel).toBeLessThan(0.01);
    expect(fromBoard.filter((x) => x.score === x.gateway).length).toBeGreaterThan(0);

    // Damage the board's model: the runtime refuses it, so inference fails with a status error.
    const good = new Uint8Array(readFileSync(join(MODEL, 'model.int8.tflite')));
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(0, 0x7fff0000, true);
    expect(testLink).not.toBeNull();
    await flashModel(testLink!, bad);
    const windowsBefore = status('press').windows;
    await waitFor('a fallback to the gateway', () => status('press').boardInference!.fellBack >= 3, 20_000);
    const failing = status('press').boardInference!;
    expect(failing.lastOn).toBe('gateway');
    expect(failing.retryAt).not.toBeNull();
    expect(failing.lastError).toMatch(/no runnable model/);
    expect(status('press').windows).toBeGreaterThan(windowsBefore);
    const health2 = (await (await fetch(`${dashboard.url}/health`)).json()) as typeof health;
    expect(health2.inference.press).toMatchObject({ on: 'board', lastOn: 'gateway' });
    // Windows scored on the gateway instead are scored by the same int8 model in the same interpreter.
    const fellBack = scored.filter((x) => x.on === 'gateway');
    expect(fellBack.length).toBeGreaterThanOrEqual(3);
    for (const x of fellBack) expect(x.score).toBe(x.gateway);

    // The right model back: after its backoff the board scores again.
    await flashModel(testLink!, good);
    const runsBefore = status('press').boardInference!.onBoard;
    await waitFor(
      'the board scoring again',
      () => status('press').boardInference!.onBoard > runsBefore,
      20_000,
    );
    expect(status('press').boardInference!.lastOn).toBe('board');

    // No window lost: once stopped (detection drained), every window the press cut was decided.
    await gateway.stop();
    expect(decisions).toBe(status('press').windows);
    // …and the logs said what happened, in words.
    expect(logged).toContainEqual(
      expect.stringMatching(
        /^warn board press: inference on the board failed \(.*no runnable model\); scoring on the gateway/,
      ),
    );
    expect(logged).toContainEqual('info board press: inference runs on the board again');
  }, 120_000);

  it('falls back to the gateway, and says why, when the board cannot run the model', async () => {
    // A board whose runtime refused its model (an op it lists no kernel for): every window is still
    // scored, on the gateway, with the same score the int8 scorer gives, and the reason is kept.
    const hb = await startHostBoard({});
    cleanups.push(() => hb.stop());
    const link = await openLink({ path: hb.path });
    cleanups.push(() => link.close());
    const missing = opWithoutKernel((await boardInfo(link)).runtimeKernels!);
    await flashModel(link, oneOpModel(missing.code));
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
      lastError: expect.stringContaining(`unsupported op ${missing.name}`),
    });
    expect(reasons).toHaveLength(1); // said once, not once per window
    scorer.dispose();
    local.dispose();
  }, 60_000);

  it.skipIf(!haveQemu).each([
    { machine: 'mps2-an385', profile: 'qemu-mps2-an385', what: 'the emulated Cortex-M3' },
    {
      machine: 'netduinoplus2',
      profile: 'qemu-netduinoplus2',
      what: 'the emulated STM32F405 (the Nucleo-F446RE’s HAL)',
    },
  ] as const)(
    'runs on $what too: a serial board on QEMU’s pty, model deployed, windows scored there',
    async ({ machine, profile }) => {
      // Without -icount QEMU's clock is real time, so Firmata's 1 kHz sampling is 1 kHz for the gateway too.
      const qb = await startQemuBoard({ machine, icountShift: false });
      cleanups.push(() => qb.stop());
      const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-qemu-'));
      const cfg = GatewayConfig.parse({
        gateway: { id: 'plant', dataDir },
        boards: [
          {
            id: 'qemu',
            profile,
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
      cleanups.push(() => gateway.stop());
      const status = () => gateway.status().boards[0]!;
      expect(status().deployment).toMatchObject({ flashed: true, bytes: 3664 });
      await waitFor(
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

  it('refuses inference: board on a transport without the firmware-bridge runtime', async () => {
    // The config refuses a js virtual board by field (see above); a custom transport is refused at start.
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-infer-'));
    await expect(
      Gateway.start({
        config: config(dataDir),
        baseDir: dataDir,
        transportFor: (board, base) => jsVirtualTransport(board, base),
      }),
    ).rejects.toThrow(/no on-board runtime/);
  });
});
