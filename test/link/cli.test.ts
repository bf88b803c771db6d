// The serial-link commands as a user runs them: a virtual board on a pty, its info, a flash with
// progress, and clear answers for a wrong port, a silent port and a file that is not a model.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHostFirmware } from '../../src/link/index.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { haveReferenceModels, referencePath } from '../tflite/reference.js';

describe('tinygate sim board, board info, flash', () => {
  let sim: ChildProcess;
  let port: string;
  const dir = mkdtempSync(join(tmpdir(), 'tg-link-cli-'));
  beforeAll(async () => {
    await buildHostFirmware();
    sim = spawn(
      process.execPath,
      [BIN, 'sim', 'board', '--scenario', 'healthy', '--duration', '20', '--json'],
      { cwd: ROOT },
    );
    let out = '';
    let err = '';
    sim.stderr!.on('data', (d) => {
      err += d;
    });
    port = await new Promise<string>((resolve, reject) => {
      sim.stdout!.on('data', (d) => {
        out += d;
        try {
          resolve((JSON.parse(out) as { port: string }).port);
        } catch {
          // not the whole document yet
        }
      });
      sim.once('exit', (code, signal) => reject(new Error(`sim board exited (${code ?? signal}): ${err}`)));
    });
  }, 120_000);
  afterAll(() => {
    sim?.kill('SIGTERM');
  });

  it('board info --json reports the protocol, the memory budget and the slots', async () => {
    const r = await runCli(['board', 'info', '--port', port, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      protocolVersion: 2,
      boardId: 'virtual-host',
      rxBufferBytes: 1024,
      slotCount: 2,
    });
    expect(info.slotBytes).toBeGreaterThan(0);
    expect(info.slots).toHaveLength(2);
    // The host build carries the runtime: board info asks it for its status.
    expect(info.runtime).toMatchObject({ state: expect.stringMatching(/^(no-model|ready|error)$/) });
    // …and lists its kernel table by TFLite's op names.
    expect(info.runtimeKernels).toEqual(expect.arrayContaining(['FULLY_CONNECTED', 'CONV_2D', 'SOFTMAX']));
    for (const s of info.slots)
      expect(Object.keys(s).sort()).toEqual(['active', 'crc32', 'length', 'sequence', 'slot', 'state']);
  });

  it.skipIf(!haveReferenceModels)('flashes a model and the board then reports it active', async () => {
    const r = await runCli(['flash', referencePath('kws_int8'), '--port', port, '--json'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout);
    const info = JSON.parse((await runCli(['board', 'info', '--port', port, '--json'])).stdout);
    const active = info.slots.find((s: { active: boolean }) => s.active);
    expect(active).toMatchObject({ length: 53_936, crc32: done.crc32 });
    // The runtime prepared it: its op count and a planned arena.
    expect(info.runtime).toMatchObject({ state: 'ready', ops: 13, error: null });
    expect(info.runtime.arenaBytes).toBeGreaterThan(0);
  });

  it('refuses a file that is not a model before touching the board', async () => {
    const junk = join(dir, 'junk.tflite');
    writeFileSync(junk, 'hello');
    const r = await runCli(['flash', junk, '--port', port]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a TFLite model/);
  });

  it('answers clearly, within seconds, for a missing port and for one where nothing talks', async () => {
    const missing = await runCli(['board', 'info', '--port', '/dev/ttyTINYGATE-NONE']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot open the serial port/);
    const silent = spawn('socat', [
      'pty,raw,echo=0,link=' + join(dir, 'silent'),
      'pty,raw,echo=0,link=' + join(dir, 'other'),
    ]);
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const r = await runCli(['board', 'info', '--port', join(dir, 'silent'), '--json']);
    silent.kill();
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('NO_ANSWER');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
