// The emulated boards under QEMU: the Cortex-M3 of mps2-an385 and the Cortex-M4F of mps2-an386 (hal/mps2; the
// M4 build's dot product runs on its DSP instructions) and the STM32F405 of netduinoplus2 (hal/stm32f4, the HAL
// the Nucleo-F446RE build shares). The gateway's flash, infer and johnny-five work
// against them unchanged; their outputs equal the host build's and TFLite's reference kernels' element for
// element, and under -icount the time they report for an inference repeats exactly.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import five from 'johnny-five';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeSlot,
  boardInfo,
  buildQemuFirmware,
  createBoard,
  flashModel,
  type HostBoard,
  type Link,
  MPS2_AN386_NO_DSP_ELF,
  modelInfo,
  openLink,
  QEMU_MACHINES,
  type QemuBoard,
  type QemuMachineName,
  runOnBoard,
  runtimeStatus,
  startHostBoard,
  startQemuBoard,
} from '../../src/link/index.js';
import { readTflite } from '../../src/tflite/index.js';
import { compareOnBoards } from '../helpers/board-compare.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { convPoolNet, mixedOpsNet } from '../helpers/converted-nets.js';
import { allKernelsGraph, dotLengthsGraph } from '../helpers/int8-graph.js';
import { referenceInt8 } from '../helpers/tflite-reference.js';
import { haveReferenceModels, referenceModel, rng } from '../tflite/reference.js';

function installed(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveQemu = installed('qemu-system-arm') && installed('arm-none-eabi-gcc');
if (!haveQemu)
  console.warn('qemu-board tests skipped: needs qemu-system-arm and gcc-arm-none-eabi (.ci/apt-packages)');

const motorVib = () => new Uint8Array(readFileSync(join(ROOT, 'models/motor-vib/model.int8.tflite')));

interface MachineCase {
  machine: QemuMachineName;
  boardId: string;
  /** Google's ad01 (277 KB) fits the model store. */
  fitsAd01: boolean;
}
const MACHINES: MachineCase[] = [
  { machine: 'mps2-an385', boardId: 'qemu-mps2-an385', fitsAd01: true },
  // The same board with a Cortex-M4F: the DSP dot product (SXTB16/SMLAD) must give the same integers.
  { machine: 'mps2-an386', boardId: 'qemu-mps2-an386', fitsAd01: true },
  // QEMU cannot program the F405's flash: its store is 2 x 64 KiB of SRAM, too small for ad01 (refused by size).
  { machine: 'netduinoplus2', boardId: 'qemu-netduinoplus2', fitsAd01: false },
];

describe.skipIf(!haveQemu).each(MACHINES)(
  'emulated board: QEMU $machine',
  ({ machine, boardId, fitsAd01 }) => {
    let qb: QemuBoard;
    let hb: HostBoard;
    let qemu: Link;
    let host: Link;
    beforeAll(async () => {
      [qb, hb] = await Promise.all([startQemuBoard({ machine }), startHostBoard({})]);
      [qemu, host] = await Promise.all([openLink({ path: qb.path }), openLink({ path: hb.path })]);
    }, 180_000);
    afterAll(async () => {
      await qemu?.close();
      await host?.close();
      await Promise.all([qb?.stop(), hb?.stop()]);
    });

    /** Flash both boards, then run `n` inputs on each: QEMU vs host vs reference vs interpreter. */
    async function compare(model: Uint8Array, n: number, seed: number) {
      const r = await compareOnBoards(model, [qemu, host], { n, seed, spread: 160 });
      return { ...r, hostMismatches: r.otherBoardMismatches, micros: r.micros[0]! };
    }

    it('introduces itself as the board profile it is, with the runtime', async () => {
      const info = await boardInfo(qemu);
      expect(info.boardId).toBe(boardId);
      expect(info.features.runtime).toBe(true);
      expect(info.slotCount).toBe(2);
    });

    it('runs the shipped motor-vib model exactly as the host build and the reference kernels', async () => {
      const r = await compare(motorVib(), 20, 11);
      expect(r.hostMismatches).toBe(0);
      expect(r.referenceMismatches).toBe(0);
      expect(r.withinOneShare).toBeGreaterThan(0.99);
    }, 60_000);

    it('runs every kernel (the hand-built all-kernels graph) exactly as the host build', async () => {
      const r = await compare(allKernelsGraph(), 20, 15);
      expect(r.hostMismatches).toBe(0);
      expect(r.referenceMismatches).toBe(0);
    }, 60_000);

    it('runs dense layers of every dot-product length remainder, on rows at odd addresses, exactly as the host build', async () => {
      const r = await compare(dotLengthsGraph(), 20, 19);
      expect(r.hostMismatches).toBe(0);
      expect(r.referenceMismatches).toBe(0);
      expect(r.distinctOutputs).toBeGreaterThan(15); // the inputs reach the output
    }, 60_000);

    it('runs the converter’s nets (conv, depthwise, pooling, dense; mean, logistic, tanh, add, concatenation, softmax) as the host build does', async () => {
      for (const [i, bytes] of [await convPoolNet(), await mixedOpsNet()].entries()) {
        const r = await compare(bytes, 10, 16 + i);
        expect(r.hostMismatches).toBe(0);
        expect(r.referenceMismatches).toBe(0);
        expect(r.withinOneShare).toBeGreaterThan(0.95);
      }
    }, 120_000);

    it.skipIf(!haveReferenceModels || !fitsAd01)(
      'round trip with Google’s ad01_int8: flash 277 KB over the pty, infer, compare; the instruction count repeats',
      async () => {
        const r = await compare(referenceModel('ad01_int8'), 4, 12);
        // Arena + tables on the Cortex-M3 as on the host: at most half of TFLite Micro's 2,260 B.
        expect(r.status.arenaBytes).toBe(768);
        expect(r.status.usedBytes).toBeLessThanOrEqual(1130);
        expect(r.hostMismatches).toBe(0);
        expect(r.referenceMismatches).toBe(0);
        expect(r.withinOneShare).toBeGreaterThan(0.95);
        // -icount shift=0: a board µs is 1000 instructions, the same count for every input of a dense net;
        // the clock's µs granularity alone may move a reading by one.
        expect(Math.max(...r.micros) - Math.min(...r.micros)).toBeLessThanOrEqual(1);
        expect(r.micros[0]).toBeGreaterThan(264); // at least one instruction per MAC (264,192 MACs)
      },
      180_000,
    );

    it.skipIf(!haveReferenceModels || fitsAd01)(
      'refuses Google’s ad01_int8 (277 KB) before sending a byte: it is larger than a model slot',
      async () => {
        const info = await boardInfo(qemu);
        const before = await flashModel(qemu, motorVib());
        await expect(flashModel(qemu, referenceModel('ad01_int8'))).rejects.toThrow(
          `a model slot on ${boardId} holds ${info.slotBytes}; nothing was sent`,
        );
        expect(activeSlot(await modelInfo(qemu))?.crc32).toBe(before.crc32); // the model before it stays
      },
      30_000,
    );

    it.skipIf(!haveReferenceModels)(
      'runs Google’s kws_int8 (DS-CNN) and hello_world_int8 exactly as the host build and the reference kernels',
      async () => {
        const kws = await compare(referenceModel('kws_int8'), 3, 14);
        expect(kws.hostMismatches).toBe(0);
        expect(kws.referenceMismatches).toBe(0);
        const hello = await compare(referenceModel('hello_world_int8'), 20, 13);
        expect(hello.hostMismatches).toBe(0);
        expect(hello.referenceMismatches).toBe(0);
      },
      180_000,
    );

    it.skipIf(!haveReferenceModels)(
      'kws inferences far slower than the request timeout each come back with their own answer',
      async () => {
        const model = referenceModel('kws_int8');
        await flashModel(qemu, model);
        const parsed = readTflite(model);
        const size = parsed.subgraphs[0]!.tensors[parsed.subgraphs[0]!.inputs[0]!]!.shape.reduce(
          (a, b) => a * b,
          1,
        );
        const next = rng(21);
        for (let k = 0; k < 3; k++) {
          const x = Int8Array.from({ length: size }, () => Math.round((next() - 0.5) * 250));
          const started = performance.now();
          // 25 ms without an answer would resend a request; the board says "running" and is waited for. (A kws
          // inference is ~56 M instructions, about 50 ms of QEMU's time: twice the timeout.)
          const got = await runOnBoard(qemu, new Uint8Array(x.buffer), { timeoutMs: 25, attempts: 10 });
          const tookMs = performance.now() - started;
          expect(tookMs).toBeGreaterThan(25);
          expect(
            Array.from(new Int8Array(got.output.buffer, got.output.byteOffset, got.output.length)),
          ).toEqual(Array.from(referenceInt8(parsed, x)));
        }
      },
      180_000,
    );

    it('tinygate infer --port compares the board with the gateway', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tg-qemu-'));
      const model = join(dir, 'model.tflite');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(model, motorVib());
      await flashModel(qemu, motorVib());
      const status = await runtimeStatus(qemu);
      const input = join(dir, 'in.json');
      writeFileSync(
        input,
        JSON.stringify([Array.from({ length: status.inputBytes }, (_, i) => Math.sin(i) * 0.5)]),
      );
      await qemu.close(); // the CLI opens the port itself
      const r = await runCli(['infer', model, '--input', input, '--port', qb.path, '--json']);
      qemu = await openLink({ path: qb.path });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { board: { micros: number[]; maxAbsDiff: number[] } };
      expect(out.board.micros[0]).toBeGreaterThan(0);
      expect(out.board.maxAbsDiff[0]).toBeLessThan(0.1);
    }, 60_000);

    it('streams: the board scores windows of its own (test sine) analog channels', async () => {
      await flashModel(qemu, motorVib()); // 36 inputs: 12 samples of 3 channels
      const { startStream } = await import('../../src/link/index.js');
      const stream = await startStream(qemu, {
        channels: [0, 1, 2],
        intervalMs: 1,
        hop: 6,
        score: 'reconstruction',
        gain: 0.002,
        offset: 2048,
      });
      const scores: number[] = [];
      stream.on('score', (s) => scores.push(s.score));
      await new Promise((r) => setTimeout(r, 1500));
      await stream.stop();
      expect(scores.length).toBeGreaterThan(5);
      for (const s of scores) expect(Number.isFinite(s) && s >= 0).toBe(true);
      expect(new Set(scores).size).toBeGreaterThan(1); // the sine moves under the windows
    }, 30_000);

    it('serves johnny-five: an analog Sensor reads the board’s test sine', async () => {
      const board = await createBoard(qemu, { samplingInterval: 20 });
      const sensor = new (
        five as unknown as Record<string, new (o: object) => NodeJS.EventEmitter & { value: number }>
      ).Sensor!({ pin: 'A0', board });
      const values = new Set<number>();
      await new Promise<void>((resolve) => {
        sensor.on('data', () => {
          if (Number.isFinite(sensor.value)) values.add(sensor.value);
          if (values.size >= 5) resolve();
        });
      });
      // A 1 Hz sine of a quarter of full scale (12-bit) around mid-scale: QEMU models no ADC input.
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(2048 - 512);
        expect(v).toBeLessThanOrEqual(2048 + 512);
      }
    }, 30_000);
  },
);

describe.skipIf(!haveQemu)('the Cortex-M4F build’s dot product', () => {
  // Without this, a build that lost __ARM_FEATURE_DSP would pass every test above on the plain C.
  const disassemble = (elf: string) =>
    execFileSync('arm-none-eabi-objdump', ['-d', '--disassemble=tg_dot_int8', elf], { encoding: 'utf8' });
  it('uses SMLAD on mps2-an386, and the TG_NO_DSP build (the bench’s baseline) does not', async () => {
    await buildQemuFirmware('mps2-an386');
    const dsp = disassemble(QEMU_MACHINES['mps2-an386'].elf);
    const plain = disassemble(MPS2_AN386_NO_DSP_ELF);
    expect(dsp).toMatch(/<tg_dot_int8>:/);
    expect(dsp).toMatch(/\bsmlad\b/);
    expect(dsp).toMatch(/\bsxtb16\b/);
    expect(plain).toMatch(/<tg_dot_int8>:/);
    expect(plain).not.toMatch(/\bsmlad\b/);
  }, 120_000);
});

describe.skipIf(!haveQemu).each(MACHINES)('QEMU $machine model store', ({ machine }) => {
  it('keeps the flashed model across a restart when given a store file', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'tg-qemu-store-')), 'store.bin');
    let qb = await startQemuBoard({ machine, storeFile: store });
    let link = await openLink({ path: qb.path });
    const flashed = await flashModel(link, motorVib());
    await link.close();
    await qb.stop();
    expect(existsSync(store)).toBe(true);
    qb = await startQemuBoard({ machine, storeFile: store });
    link = await openLink({ path: qb.path });
    try {
      const s = await runtimeStatus(link);
      expect(s.state).toBe('ready');
      expect(activeSlot(await modelInfo(link))?.crc32).toBe(flashed.crc32);
    } finally {
      await link.close();
      await qb.stop();
    }
  }, 90_000);
});

describe.skipIf(!haveQemu)('tinygate sim board --target qemu-netduinoplus2', () => {
  it('starts the emulated STM32F405, prints its port, and stops on SIGTERM', async () => {
    const sim = spawn(process.execPath, [BIN, 'sim', 'board', '--target', 'qemu-netduinoplus2', '--json'], {
      cwd: ROOT,
    });
    let out = '';
    let err = '';
    sim.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise((r) => sim.once('exit', r));
    try {
      const port = await new Promise<string>((resolve, reject) => {
        sim.stdout.on('data', (d) => {
          out += d;
          try {
            resolve((JSON.parse(out) as { port: string }).port);
          } catch {
            // not the whole document yet
          }
        });
        sim.once('exit', (code) => reject(new Error(`sim board exited (${code}): ${err}`)));
      });
      const r = await runCli(['board', 'info', '--port', port, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ boardId: 'qemu-netduinoplus2', slotBytes: 64_992 });
    } finally {
      sim.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
