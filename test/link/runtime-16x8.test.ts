// The 16x8 kernels (int16 activations, int8 weights) of FULLY_CONNECTED and CONV_2D: hand-built models run
// through the official TFLite interpreter, the host board over the link, the runtime compiled to WebAssembly,
// and (small models) the emulated Cortex-M3 and Mega 2560, on random full-range inputs and the extremes; every
// output element must equal the interpreter's. What the kernels do not take is refused in the same words by
// the board, WebAssembly and the fit check.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import {
  boardInfo,
  flashModel,
  type HostBoard,
  type Link,
  openLink,
  runOnBoard,
  runtimeStatus,
  startHostBoard,
  startQemuBoard,
} from '../../src/link/index.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { fitOnBoard, inspectModel, readTflite, TfliteInterpreter } from '../../src/tflite/index.js';
import { WasmRuntime } from '../../src/wasm-runtime/index.js';
import { ROOT } from '../helpers/cli.js';
import { fullyConnectedOptions, Int8Graph } from '../helpers/int8-graph.js';
import { conv16x8, convDense16x8, type Fused, fullyConnected16x8 } from '../helpers/int16x8-graph.js';
import { has } from '../helpers/tools.js';
import { rng } from '../tflite/reference.js';

const haveWasm = (() => {
  try {
    execFileSync('make', ['-s', '-C', `${ROOT}/firmware-bridge`, 'wasm'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

let hb: HostBoard;
let link: Link;
let comparedInAll = 0;
beforeAll(async () => {
  hb = await startHostBoard({});
  link = await openLink({ path: hb.path });
}, 120_000);
afterAll(async () => {
  console.log(`16x8: ${comparedInAll} output elements compared, each equal to the interpreter's`);
  await link?.close();
  await hb?.stop();
});

/** The extremes first (±32767, -32768, zero, alternating), then uniform random int16 inputs. */
function inputs(n: number, length: number, seed: number): Int16Array[] {
  const next = rng(seed);
  const fixed = [32767, -32767, -32768, 0].map((v) => new Int16Array(length).fill(v));
  fixed.push(Int16Array.from({ length }, (_, i) => (i % 2 ? 32767 : -32768)));
  fixed.push(Int16Array.from({ length }, (_, i) => (i % 3 ? -32767 : 32767)));
  const random = Array.from({ length: n - fixed.length }, () =>
    Int16Array.from({ length }, () => Math.floor(next() * 65536) - 32768),
  );
  return [...fixed, ...random];
}

const int16 = (b: Uint8Array) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const bytes = (x: Int16Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

interface Outcome {
  compared: number;
  boardMismatches: number;
  wasmMismatches: number;
  saturated: number;
  /** The largest output, and how many elements reached it (a RELU6 cap, or the int16 limit). */
  max: number;
  atMax: number;
  distinct: number;
  firstMismatch: string | null;
}

/** Run `n` inputs through the interpreter, the host board and WebAssembly; count differing elements. */
async function compare16x8(model: Uint8Array, n: number, seed: number, board: Link = link): Promise<Outcome> {
  const interpreter = await TfliteInterpreter.load(model);
  expect(interpreter.inputs[0]!.type).toBe('int16');
  const wasm = haveWasm && board === link ? await WasmRuntime.load(model) : null;
  await flashModel(board, model);
  const status = await runtimeStatus(board);
  expect(status.state, status.error ?? '').toBe('ready');
  const length = status.inputBytes / 2;
  const r: Outcome = {
    compared: 0,
    boardMismatches: 0,
    wasmMismatches: 0,
    saturated: 0,
    max: -32768,
    atMax: 0,
    distinct: 0,
    firstMismatch: null,
  };
  const seen = new Set<string>();
  try {
    for (const x of inputs(n, length, seed)) {
      const want = interpreter.run(x)[0] as Int16Array;
      const got = int16((await runOnBoard(board, bytes(x))).output);
      const web = wasm ? int16(wasm.run(bytes(x))) : got;
      expect(got.length).toBe(want.length);
      seen.add(got.join(','));
      for (let i = 0; i < want.length; i++) {
        r.compared++;
        if (got[i] !== want[i]) {
          r.boardMismatches++;
          r.firstMismatch ??= `element ${i}: board ${got[i]}, interpreter ${want[i]}`;
        }
        if (web[i] !== want[i]) r.wasmMismatches++;
        if (want[i] === 32767 || want[i] === -32768) r.saturated++;
        if (want[i]! > r.max) [r.max, r.atMax] = [want[i]!, 0];
        if (want[i] === r.max) r.atMax++;
      }
    }
  } finally {
    interpreter.close();
  }
  r.distinct = seen.size;
  comparedInAll += r.compared;
  return r;
}

function expectEqual(r: Outcome, minCompared: number) {
  expect(r.boardMismatches, r.firstMismatch ?? '').toBe(0);
  expect(r.wasmMismatches).toBe(0);
  expect(r.compared).toBeGreaterThanOrEqual(minCompared);
  expect(r.distinct).toBeGreaterThan(10); // the inputs reach the outputs
}

describe('16x8 FULLY_CONNECTED and CONV_2D (host board and WebAssembly against the TFLite interpreter)', () => {
  it.each([
    { perChannel: true, bias: 'int64', activation: 'RELU', depth: 40, units: 12 },
    { perChannel: false, bias: 'int64', activation: 'NONE', depth: 300, units: 8, outScale: 2.4e-6 },
    // RELU6 capped at 8,000 (scale 6 / 8,000), inputs scaled so that about a third of the outputs reach it.
    {
      perChannel: true,
      bias: 'int64',
      activation: 'RELU6',
      depth: 24,
      units: 10,
      inScale: 1.2e-4,
      outScale: 7.5e-4,
    },
    { perChannel: false, bias: 'int64', activation: 'RELU', depth: 17, units: 6 },
  ] as const)(
    'FULLY_CONNECTED $bias bias, per-channel $perChannel, $activation, depth $depth',
    async (c) => {
      const model = fullyConnected16x8({ ...c, seed: c.depth });
      const r = await compare16x8(model, 150, c.depth + 1);
      expectEqual(r, 150 * c.units);
      if (c.activation === 'RELU6') {
        expect(r.max).toBe(8000);
        expect(r.atMax).toBeGreaterThan(100);
      } else expect(r.saturated).toBeGreaterThan(0); // the int16 clamp is reached
    },
    120_000,
  );

  it('FULLY_CONNECTED over a batch of two, and past 512 products a row (the int64 sum)', async () => {
    const model = fullyConnected16x8({
      perChannel: true,
      bias: 'int64',
      activation: 'NONE',
      depth: 700,
      units: 5,
      batches: 2,
      seed: 7,
    });
    const r = await compare16x8(model, 60, 8);
    expectEqual(r, 60 * 10);
  }, 120_000);

  it.each([
    {
      perChannel: true,
      bias: 'int64',
      activation: 'RELU',
      padding: 'SAME',
      stride: [1, 1],
      h: 5,
      w: 6,
      cin: 3,
      cout: 4,
      kh: 3,
      kw: 3,
    },
    {
      perChannel: true,
      bias: 'int64',
      activation: 'NONE',
      padding: 'VALID',
      stride: [2, 2],
      h: 7,
      w: 7,
      cin: 2,
      cout: 5,
      kh: 3,
      kw: 2,
    },
    {
      perChannel: false,
      bias: 'int64',
      activation: 'RELU6',
      padding: 'SAME',
      stride: [2, 1],
      h: 6,
      w: 5,
      cin: 4,
      cout: 3,
      kh: 2,
      kw: 3,
    },
    {
      perChannel: true,
      bias: 'int64',
      activation: 'NONE',
      padding: 'SAME',
      stride: [1, 2],
      h: 6,
      w: 6,
      cin: 2,
      cout: 3,
      kh: 3,
      kw: 3,
      dilation: [2, 2],
    },
  ] as {
    perChannel: boolean;
    bias: 'int64';
    activation: Fused;
    padding: 'SAME' | 'VALID';
    stride: [number, number];
    dilation?: [number, number];
    h: number;
    w: number;
    cin: number;
    cout: number;
    kh: number;
    kw: number;
  }[])(
    'CONV_2D $padding stride $stride, $bias bias, per-channel $perChannel, $activation',
    async (c) => {
      const model = conv16x8({ ...c, seed: c.h * 10 + c.cin });
      const r = await compare16x8(model, 60, c.h + c.cout);
      expectEqual(r, 60 * 12);
    },
    120_000,
  );

  it('chains CONV_2D → RESHAPE → FULLY_CONNECTED in int16', async () => {
    const r = await compare16x8(convDense16x8(5), 100, 6);
    expectEqual(r, 500);
  }, 120_000);
});

// The same kernels built by arm-none-eabi-gcc -Os for a Cortex-M3 and by avr-gcc for the Mega 2560 (whose
// int64 arithmetic is all library calls): small models that fit the Mega's 1,980-byte slot and 1,504-byte arena.
const small = () => [
  fullyConnected16x8({
    perChannel: true,
    bias: 'int64',
    activation: 'RELU',
    depth: 16,
    units: 8,
    seed: 61,
    outScale: 1e-6,
  }),
  conv16x8({
    perChannel: true,
    bias: 'int64',
    activation: 'NONE',
    padding: 'SAME',
    stride: [2, 1],
    h: 4,
    w: 4,
    cin: 2,
    cout: 3,
    kh: 3,
    kw: 3,
    seed: 62,
  }),
];

describe.skipIf(!has('qemu-system-arm') || !has('arm-none-eabi-gcc'))(
  '16x8 on the emulated Cortex-M3 (QEMU mps2-an385)',
  () => {
    it('runs 16x8 FULLY_CONNECTED and CONV_2D equal to the interpreter', async () => {
      const qb = await startQemuBoard({ machine: 'mps2-an385' });
      const qemu = await openLink({ path: qb.path });
      try {
        for (const [k, model] of small().entries())
          expectEqual(await compare16x8(model, 40, 70 + k, qemu), 40 * 8);
      } finally {
        await qemu.close();
        await qb.stop();
      }
    }, 240_000);
  },
);

describe.skipIf(!has('avr-gcc'))('16x8 on the emulated Mega 2560 (avr8js)', () => {
  it('runs 16x8 FULLY_CONNECTED and CONV_2D from its EEPROM, equal to the interpreter', async () => {
    execFileSync('make', ['-s', '-C', `${ROOT}/firmware-bridge`, 'hex'], { stdio: 'ignore' });
    const board = new AvrBoard({
      hex: `${ROOT}/firmware-bridge/build/avr/arduino-mega2560.hex`,
      mcu: 'atmega2560',
    });
    const mega = await openLink({ stream: board.transport, name: 'emulated mega' });
    try {
      const info = await boardInfo(mega);
      for (const [k, model] of small().entries()) {
        expect(model.length).toBeLessThanOrEqual(info.slotBytes);
        expectEqual(await compare16x8(model, 15, 80 + k, mega), 15 * 8);
      }
    } finally {
      await mega.close();
      board.stop();
    }
  }, 600_000);
});

describe('what the 16x8 kernels do not take: refused by the board, WebAssembly and the fit check alike', () => {
  const host = findBoard('virtual-host');
  const fitCheck = (model: Uint8Array) =>
    fitOnBoard(host, inspectModel(readTflite(model), model.length).needs);

  it('says a 16x8 FULLY_CONNECTED and CONV_2D fit', () => {
    for (const model of [
      fullyConnected16x8({
        perChannel: true,
        bias: 'int64',
        activation: 'RELU',
        depth: 8,
        units: 4,
        seed: 1,
      }),
      convDense16x8(2),
    ]) {
      const r = fitCheck(model);
      expect(r.problems).toEqual([]);
      expect(r.fits).toBe(true);
    }
  });

  const wrongInt16 = () => {
    // int16 into an int8 output: the op and every tensor type named.
    const g = new Int8Graph();
    const x = g.activation([1, 4], 'int16', 0.001, 0);
    const w = g.constant([3, 4], 'int8', new Uint8Array(12).fill(3), [0.02]);
    const b = g.constant([3], 'int64', new Uint8Array(24), [0.00002]);
    return g.build(x, g.op(9, 7, [x, w, b], g.tensor([1, 3], 0.05, 0), fullyConnectedOptions('NONE')));
  };
  const logisticInt16 = () => {
    const g = new Int8Graph();
    const x = g.activation([1, 4], 'int16', 0.001, 0);
    return g.build(x, g.op(14, 2, [x], g.activation([1, 4], 'int16', 1 / 32768, 0), null));
  };
  const zeroPoint = () => {
    const g = new Int8Graph();
    const x = g.activation([1, 4], 'int16', 0.001, 5);
    const w = g.constant([3, 4], 'int8', new Uint8Array(12).fill(3), [0.02]);
    const b = g.constant([3], 'int64', new Uint8Array(24), [0.00002]);
    return g.build(
      x,
      g.op(9, 7, [x, w, b], g.activation([1, 3], 'int16', 0.01, 0), fullyConnectedOptions('NONE')),
    );
  };
  const BIAS = '16x8 FULLY_CONNECTED and CONV_2D need a constant int64 bias, one per channel';

  it.each([
    [
      'an int16 FULLY_CONNECTED into int8',
      wrongInt16,
      'FULLY_CONNECTED with int16, int8, int64 -> int8: takes int8, or int16 with int8 weights',
    ],
    ['LOGISTIC on int16', logisticInt16, 'LOGISTIC with int16 -> int16: takes int8'],
    ['an int16 input with zero point 5', zeroPoint, '16x8 FULLY_CONNECTED and CONV_2D need zero points 0'],
    // TFLite sums these in int32, and TFLite Micro (two roundings) and the interpreter (one) disagree on them.
    [
      'an int32 bias',
      () =>
        fullyConnected16x8({
          perChannel: true,
          bias: 'int32',
          activation: 'NONE',
          depth: 8,
          units: 4,
          seed: 3,
        }),
      BIAS,
    ],
    [
      'no bias',
      () =>
        fullyConnected16x8({
          perChannel: false,
          bias: 'none',
          activation: 'NONE',
          depth: 8,
          units: 4,
          seed: 4,
        }),
      BIAS,
    ],
    [
      'a CONV_2D with an int32 bias',
      () =>
        conv16x8({
          perChannel: true,
          bias: 'int32',
          activation: 'NONE',
          padding: 'SAME',
          stride: [1, 1],
          h: 3,
          w: 3,
          cin: 2,
          cout: 2,
          kh: 2,
          kw: 2,
          seed: 5,
        }),
      BIAS,
    ],
  ] as [string, () => Uint8Array, string][])(
    'refuses %s, naming why',
    async (_what, build, why) => {
      const model = build();
      await flashModel(link, model);
      const status = await runtimeStatus(link);
      expect(status.state).toBe('error');
      expect(status.error).toBe(why);
      if (haveWasm)
        await expect(WasmRuntime.load(model)).rejects.toThrow(`the board runtime refuses the model: ${why}`);
      const r = fitCheck(model);
      expect(r.fits).toBe(false);
      expect(r.problems).toEqual([why]);
    },
    60_000,
  );
});
