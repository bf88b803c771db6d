// Model transfer to the real host firmware over a real pty: sizes, a noisy line, a board killed
// mid-transfer (the old model stays active, the new one resumes), and a model too large for a slot.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  activeSlot,
  boardInfo,
  buildHostFirmware,
  crc32,
  flashModel,
  type HostBoard,
  type Link,
  modelInfo,
  openLink,
  startHostBoard,
} from '../../src/link/index.js';

const open: (HostBoard | Link)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    if ('stop' in x) await x.stop();
    else await x.close().catch(() => {});
  }
});

async function board(o: Parameters<typeof startHostBoard>[0] = {}) {
  const hb = await startHostBoard(o);
  open.push(hb);
  const link = await openLink({ path: hb.path });
  open.push(link);
  return { hb, link };
}

describe('flashModel against the host firmware on a pty', () => {
  beforeAll(async () => {
    await buildHostFirmware();
  }, 120_000);

  it('transfers and commits 3 KB, 20 KB and 277 KB models with matching CRC', async () => {
    const { link } = await board();
    for (const size of [3 * 1024, 20 * 1024, 277 * 1024]) {
      const model = randomBytes(size);
      const r = await flashModel(link, model);
      expect(r).toMatchObject({ length: size, crc32: crc32(model), resumedFrom: 0 });
      const active = activeSlot(await modelInfo(link));
      expect(active).toMatchObject({ length: size, crc32: crc32(model), sequence: r.sequence, active: true });
    }
  }, 60_000);

  it('gets a model through a line that corrupts 1 % of the bytes', async () => {
    const { link } = await board({ faults: 'corrupt=0.01,dir=both,seed=3' });
    const model = randomBytes(20 * 1024);
    const r = await flashModel(link, model);
    expect(r.crc32).toBe(crc32(model));
    expect(r.naks + r.timeouts).toBeGreaterThan(0);
    expect(activeSlot(await modelInfo(link))?.crc32).toBe(crc32(model));
  }, 60_000);

  it('keeps the old model active when the board dies mid-transfer, and resumes after it restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-resume-'));
    const flashFile = join(dir, 'flash.bin');
    const linkPath = join(dir, 'board');
    const first = await startHostBoard({ flashFile, linkPath, baud: 115200 });
    let link = await openLink({ path: first.path });
    const oldModel = randomBytes(4 * 1024);
    await flashModel(link, oldModel);
    const newModel = randomBytes(30 * 1024);
    const ac = new AbortController();
    const flashing = flashModel(link, newModel, {
      stallTimeoutMs: 1500,
      onProgress: (p) => {
        // Pull the plug half-way: SIGKILL, no goodbye.
        if (p.bytesDone > newModel.length / 2 && !ac.signal.aborted) {
          ac.abort();
          first.process.kill('SIGKILL');
        }
      },
    });
    await expect(flashing).rejects.toThrow();
    await link.close().catch(() => {});

    const second = await startHostBoard({ flashFile, linkPath, baud: 115200 });
    open.push(second);
    link = await openLink({ path: second.path });
    open.push(link);
    const during = await modelInfo(link);
    expect(activeSlot(during)?.crc32).toBe(crc32(oldModel));
    const r = await flashModel(link, newModel);
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(r.crc32).toBe(crc32(newModel));
    expect(activeSlot(await modelInfo(link))?.crc32).toBe(crc32(newModel));
  }, 90_000);

  it('refuses a model larger than a slot before sending a byte of it', async () => {
    const { link } = await board({ storeBytes: 64 * 1024 });
    const info = await boardInfo(link);
    const before = await modelInfo(link);
    let progressed = false;
    await expect(
      flashModel(link, randomBytes(info.slotBytes + 1), { onProgress: () => (progressed = true) }),
    ).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    expect(progressed).toBe(false);
    expect(await modelInfo(link)).toEqual(before);
  }, 30_000);
});
