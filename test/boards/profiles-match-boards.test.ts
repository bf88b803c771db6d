// A profile must say what its board says: every board whose firmware-bridge we build here is started
// (host build, QEMU, the AVR emulator) and its board info compared with its profile; and the fit check
// must answer as the board does when a model reaches it (the Mega's arena + tables, both ways).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import {
  type BoardInfo,
  boardInfo,
  flashModel,
  type Link,
  openLink,
  type QemuMachineName,
  runtimeStatus,
  startHostBoard,
  startQemuBoard,
} from '../../src/link/index.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { BRIDGE_OPS, builtinOpName, fitOnBoard, inspectModel, readTflite } from '../../src/tflite/index.js';
import { ROOT } from '../helpers/cli.js';
import { fetchedModels, readFetched } from '../helpers/fetched-models.js';
import { Int8Graph } from '../helpers/int8-graph.js';
import { has, haveArduinoBuilder } from '../helpers/tools.js';
import { haveReferenceModels, referenceModel } from '../tflite/reference.js';

const haveQemu = has('qemu-system-arm') && has('arm-none-eabi-gcc');
const haveAvr = has('avr-gcc');
const stops: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of stops.splice(0)) await s();
});

function expectProfileMatches(info: BoardInfo) {
  const p = findBoard(info.boardId);
  expect(p.flashBytes, 'flashBytes').toBe(info.flashBytes);
  expect(p.ramBytes, 'ramBytes').toBe(info.ramBytes);
  expect(p.modelBudget.flashBytes, 'modelBudget.flashBytes: one slot').toBe(info.slotBytes);
  expect(p.bridgeRuntime ?? null, 'bridgeRuntime').toEqual(info.runtimeLimits);
  if (info.features.runtime) expect(p.modelBudget.arenaBytes, 'modelBudget.arenaBytes').toBe(info.arenaBytes);
  // The fit check's list of kernels is the one the board's kernel table has.
  if (info.features.runtime)
    expect(info.runtimeKernels!.map(builtinOpName).sort()).toEqual([...BRIDGE_OPS].sort());
}

/** The bare-register build (`make hex`) or the Arduino library's (`make arduino`). */
type AvrBuild = 'bare' | 'arduino-library';
const avrHex = (board: string, build: AvrBuild) =>
  join(
    ROOT,
    build === 'bare' ? 'firmware-bridge/build/avr' : 'firmware-bridge/build/arduino',
    `${board}.hex`,
  );

/** Each board built here, started and linked (closed after the file): its link and its board info. */
async function hostBoard(): Promise<{ link: Link; info: BoardInfo }> {
  const hb = await startHostBoard({});
  stops.push(() => hb.stop());
  const link = await openLink({ path: hb.path });
  stops.push(() => link.close());
  return { link, info: await boardInfo(link) };
}

async function qemuBoard(machine: QemuMachineName): Promise<{ link: Link; info: BoardInfo }> {
  const qb = await startQemuBoard({ machine });
  stops.push(() => qb.stop());
  const link = await openLink({ path: qb.path });
  stops.push(() => link.close());
  return { link, info: await boardInfo(link) };
}

async function avrBoard(
  board: 'arduino-uno' | 'arduino-mega2560',
  build: AvrBuild = 'bare',
): Promise<{ link: Link; info: BoardInfo }> {
  execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), build === 'bare' ? 'hex' : 'arduino'], {
    stdio: 'ignore',
  });
  const avr = new AvrBoard({
    hex: avrHex(board, build),
    mcu: board === 'arduino-uno' ? 'atmega328p' : 'atmega2560',
  });
  stops.push(() => avr.stop());
  const link = await openLink({ stream: avr.transport, name: board });
  return { link, info: await boardInfo(link, { timeoutMs: 20_000 }) };
}

const fetched = fetchedModels();
if (fetched.missing) console.warn(`fit check against boards without ${fetched.missing}`);

/** Every model here: the shipped one and, when ../shared and the fetched cache hold them, Google's references. */
function modelsToFit(withFetched: boolean): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [
    ['motor-vib', new Uint8Array(readFileSync(join(ROOT, 'models/motor-vib/model.int8.tflite')))],
  ];
  if (haveReferenceModels)
    for (const name of ['hello_world_int8', 'ad01_int8', 'kws_int8'] as const)
      out.push([name, referenceModel(name)]);
  if (withFetched) for (const m of fetched.present) out.push([m.name, readFetched(m.name)]);
  return out;
}

/** Says "fits" of each model exactly when the board then stores and runs it. */
// The fetched vision models (300 KB) take ~20 s each to flash over QEMU's UART: the mps2-an386 runs the
// an385's runtime with the same arena and slot, so it gets only the smaller models.
async function expectFitMatchesBoard(link: Link, boardId: string, withFetched = true) {
  const profile = findBoard(boardId);
  const seen: string[] = [];
  for (const [name, model] of modelsToFit(withFetched)) {
    const fit = fitOnBoard(profile, inspectModel(readTflite(model), model.length).needs);
    let runs = false;
    let why = '';
    try {
      await flashModel(link, model);
      const status = await runtimeStatus(link);
      runs = status.state === 'ready';
      why = status.error ?? '';
    } catch (err) {
      why = (err as Error).message; // refused before sending: larger than a slot
    }
    expect(
      fit.fits,
      `${name} on ${boardId}: fit says ${fit.problems.join('; ') || 'fits'}; board: ${why || 'runs'}`,
    ).toBe(runs);
    seen.push(`${name}:${runs ? 'runs' : 'refused'}`);
  }
  return seen;
}

// Each board is started once: its profile is compared with its board info, then every model here goes to it.
describe('board profiles say what their boards report, and "fits" is said exactly of the models they run', () => {
  it('virtual-host (the host build)', async () => {
    const { link, info } = await hostBoard();
    expectProfileMatches(info);
    expect(await expectFitMatchesBoard(link, 'virtual-host')).toContain('motor-vib:runs');
  }, 180_000);

  it.skipIf(!haveQemu).each(['mps2-an385', 'mps2-an386', 'netduinoplus2'] as const)(
    'QEMU %s',
    async (machine) => {
      const { link, info } = await qemuBoard(machine);
      expectProfileMatches(info);
      await expectFitMatchesBoard(link, info.boardId, machine !== 'mps2-an386');
    },
    300_000,
  );

  // The Uno has no runtime: only its profile is compared.
  it.skipIf(!haveAvr)(
    'arduino-uno (avr8js)',
    async () => {
      expectProfileMatches((await avrBoard('arduino-uno')).info);
    },
    120_000,
  );

  it.skipIf(!haveAvr)(
    'arduino-mega2560 (avr8js)',
    async () => {
      const { link, info } = await avrBoard('arduino-mega2560');
      expectProfileMatches(info);
      expect(await expectFitMatchesBoard(link, 'arduino-mega2560')).toContain('motor-vib:refused');
    },
    180_000,
  );

  // The same boards from the Arduino library (arduino-builder): the profile holds for either build.
  it.skipIf(!haveArduinoBuilder)(
    'arduino-uno, Arduino library build (avr8js)',
    async () => {
      expectProfileMatches((await avrBoard('arduino-uno', 'arduino-library')).info);
    },
    120_000,
  );

  it.skipIf(!haveArduinoBuilder)(
    'arduino-mega2560, Arduino library build (avr8js)',
    async () => {
      const { link, info } = await avrBoard('arduino-mega2560', 'arduino-library');
      expectProfileMatches(info);
      expect(await expectFitMatchesBoard(link, 'arduino-mega2560')).toContain('motor-vib:refused');
    },
    180_000,
  );
});

describe('the fit check knows the board runtime', () => {
  it("lists exactly the ops of the firmware runtime's kernel table", () => {
    const c = readFileSync(join(ROOT, 'firmware-bridge/runtime/kernels/tg_kernels.c'), 'utf8');
    const named = [...c.matchAll(/ TG_ROM = "(\w+)";/g)].map((m) => m[1]);
    expect([...BRIDGE_OPS].sort()).toEqual(named.sort());
  });

  /** x + x over `n` int8 elements: no weights, two activations of n bytes alive together. */
  function addTwice(n: number): Uint8Array {
    const g = new Int8Graph();
    const x = g.tensor([1, n], 0.05, 0);
    const y = g.op(0, 2, [x, x], g.tensor([1, n], 0.1, 0), {
      type: 'AddOptions',
      fusedActivation: 'NONE',
      potScaleInt16: false,
    } as never);
    return g.build(x, y);
  }

  it.skipIf(!haveAvr)(
    'says "fits" of a model exactly when the Mega then runs it: arena + tables, both ways',
    async () => {
      const mega = findBoard('arduino-mega2560');
      const { link } = await avrBoard('arduino-mega2560');
      // Tables 48 B (2 tensors, 1 op, ADD's data) + two 16-aligned activations: 1,488 B fit the 1,504-byte
      // arena, 1,520 B do not.
      for (const [n, runs] of [
        [720, true],
        [736, false],
      ] as const) {
        const model = addTwice(n);
        const fit = fitOnBoard(mega, inspectModel(readTflite(model), model.length).needs);
        expect(fit.fits, fit.problems.join('; ')).toBe(runs);
        if (!runs) expect(fit.problems).toEqual(['1520 B of arena needed, the board has 1504 B']);
        await flashModel(link, model);
        const status = await runtimeStatus(link);
        expect(status.state, status.error ?? '').toBe(runs ? 'ready' : 'error');
        if (runs) expect(status.usedBytes).toBe(fit.arena.need);
        else expect(status.error).toBe('1520 B of arena needed (tables + activations), the board has 1504 B');
      }
    },
    180_000,
  );
});
