import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBoardProfile, loadBoards, parseBoardProfile } from '../../src/boards/index.js';
import { TinygateError } from '../../src/errors/index.js';

const REQUIRED_IDS = [
  'arduino-uno',
  'arduino-mega2560',
  'arduino-nano-33-ble-sense',
  'arduino-nano-rp2040-connect',
  'raspberry-pi-pico',
  'esp32-devkitc',
  'esp32-s3-devkitc',
  'stm32-nucleo-l4r5zi',
  'stm32-disco-f746ng',
  'sparkfun-edge',
  'teensy-4.1',
  'seeed-xiao-nrf52840',
  'virtual-host',
  'qemu-mps2-an385',
  'qemu-mps2-an386',
  'qemu-netduinoplus2',
  'nucleo-f446re',
];

function shipped(id: string) {
  const board = loadBoards().find((b) => b.id === id);
  if (!board) throw new Error(`missing ${id}`);
  return structuredClone(board) as Record<string, unknown>;
}

function parseError(value: unknown, file = 'broken.json'): TinygateError {
  try {
    parseBoardProfile(JSON.stringify(value), file);
  } catch (err) {
    expect(err).toBeInstanceOf(TinygateError);
    return err as TinygateError;
  }
  throw new Error('expected the profile to be refused');
}

describe('shipped board profiles', () => {
  const boards = loadBoards();

  it('include every board the project supports', () => {
    expect(boards.map((b) => b.id)).toEqual(expect.arrayContaining(REQUIRED_IDS));
  });

  it('leave a model budget that fits inside the hardware', () => {
    for (const b of boards) {
      expect(b.modelBudget.flashBytes, b.id).toBeLessThan(
        b.flashBytes + (b.modelStore.medium === 'internal-flash' ? 0 : b.modelStore.bytes),
      );
      expect(b.modelBudget.arenaBytes, b.id).toBeLessThan(b.ramBytes);
      expect(b.sources.length, b.id).toBeGreaterThan(0);
    }
  });

  it('know the MLPerf Tiny reference board', () => {
    const l4 = boards.find((b) => b.id === 'stm32-nucleo-l4r5zi')!;
    expect(l4.core).toBe('cortex-m4f');
    expect(l4.flashBytes).toBe(2 * 1024 * 1024);
    expect(l4.ramBytes).toBe(640 * 1024);
  });
});

describe('broken profiles', () => {
  it('name the file, the field and the reason for a missing field', () => {
    const p = shipped('arduino-uno');
    delete p.mcu;
    const err = parseError(p, 'boards/arduino-uno.json');
    expect(err.message).toContain('boards/arduino-uno.json');
    expect(err.message).toMatch(/mcu: .*(expected string|received undefined)/i);
  });

  it('refuse negative RAM with the field path', () => {
    const p = shipped('arduino-uno');
    p.ramBytes = -2048;
    const err = parseError(p, 'arduino-uno.json');
    expect(err.message).toMatch(/arduino-uno\.json: .*ramBytes: .*(>0|positive|too small)/i);
  });

  it('refuse an unknown core and list the known ones', () => {
    const p = shipped('arduino-uno');
    p.core = 'pentium';
    const err = parseError(p, 'arduino-uno.json');
    expect(err.message).toMatch(/core: .*cortex-m4f/);
  });

  it('refuse a nested field with its full path', () => {
    const p = shipped('arduino-uno');
    (p.uart as Record<string, unknown>).rxBufferBytes = 0;
    expect(parseError(p, 'arduino-uno.json').message).toContain('uart.rxBufferBytes');
  });

  it('refuse a model budget larger than a slot', () => {
    const p = shipped('arduino-uno');
    (p.modelBudget as Record<string, unknown>).flashBytes = 1_000_000;
    expect(parseError(p, 'arduino-uno.json').message).toMatch(/modelBudget\.flashBytes: .*slot/);
  });

  it('refuse fields the schema does not know (typos)', () => {
    const p = shipped('arduino-uno');
    p.ramByte = 2048;
    expect(parseError(p, 'arduino-uno.json').message).toMatch(/ramByte/);
  });

  it('refuse a file that is not JSON, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-boards-'));
    const file = join(dir, 'x.json');
    writeFileSync(file, '{ "id": ');
    expect(() => loadBoardProfile(file)).toThrow(/x\.json: not valid JSON/);
  });

  it('refuse an id that does not match the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-boards-'));
    const file = join(dir, 'other.json');
    writeFileSync(file, JSON.stringify(shipped('arduino-uno')));
    expect(() => loadBoardProfile(file)).toThrow(/other\.json: id: "arduino-uno" must match/);
  });
});
