import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertJournal, readJournal } from '../../src/publish/index.js';
import { JOURNAL_FILE } from '../../src/publish/journal.js';
import { encodeRecord } from '../../src/publish/journal-record.js';
import { makeAlert, memoryLogger } from './fixtures.js';

let dir: string;
const MB = 1024 * 1024;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tg-journal-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('alert journal', () => {
  it('keeps appended alerts across a reopen, unacked until acked, in order', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    const alerts = Array.from({ length: 5 }, (_, i) => makeAlert(i));
    const entries = await Promise.all(alerts.map((a) => j.append(a)));
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    j.ack(entries[1]!.seq);
    j.ack(entries[3]!.seq);
    await j.close();

    const again = await AlertJournal.open(dir, { maxBytes: MB });
    expect(again.unacked().map((e) => e.alert.id)).toEqual([alerts[0]!.id, alerts[2]!.id, alerts[4]!.id]);
    expect(again.entries()).toHaveLength(5);
    // New appends continue the sequence rather than reusing numbers.
    expect((await again.append(makeAlert(9))).seq).toBe(6);
    await again.close();
  });

  it('writes an alert to disk before the append resolves', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    const a = makeAlert(1);
    await j.append(a);
    // Read the file while the journal is still open: the record must already be there.
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toContain(a.id);
    await j.close();
  });

  it('does not journal the same alert id twice', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    const a = makeAlert(1);
    const [e1, e2] = await Promise.all([j.append(a), j.append(a)]);
    const e3 = await j.append(a);
    expect(e1.seq).toBe(e2.seq);
    expect(e3.seq).toBe(e1.seq);
    expect(j.entries()).toHaveLength(1);
    await j.close();
  });

  it('skips a torn last record (crash mid-write) with a log line and keeps everything before it', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    const kept = [makeAlert(1), makeAlert(2)];
    for (const a of kept) await j.append(a);
    await j.close();
    const torn = encodeRecord({ t: 'alert', seq: 3, at: Date.now(), alert: makeAlert(3) });
    appendFileSync(join(dir, JOURNAL_FILE), torn.subarray(0, torn.length - 20));

    const log = memoryLogger();
    const again = await AlertJournal.open(dir, { maxBytes: MB, logger: log });
    expect(again.unacked().map((e) => e.alert.id)).toEqual(kept.map((a) => a.id));
    expect(again.stats().tornRecords).toBe(1);
    expect(log.lines.some((l) => l.level === 'warn' && /torn last record/.test(l.msg ?? ''))).toBe(true);
    // The torn bytes are gone from disk, so the next append starts on a clean line.
    const next = makeAlert(4);
    await again.append(next);
    await again.close();
    const third = await AlertJournal.open(dir, { maxBytes: MB });
    expect(third.stats().tornRecords).toBe(0);
    expect(third.unacked().map((e) => e.alert.id)).toEqual([...kept.map((a) => a.id), next.id]);
    await third.close();
  });

  it('skips a damaged record in the middle with an error log, keeping the rest', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    const alerts = [makeAlert(1), makeAlert(2), makeAlert(3)];
    for (const a of alerts) await j.append(a);
    await j.close();
    const file = join(dir, JOURNAL_FILE);
    const text = readFileSync(file, 'utf8');
    // Flip one character inside the second record's JSON: its CRC no longer matches.
    const at = text.indexOf(alerts[1]!.id) + 3;
    writeFileSync(file, text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));

    const log = memoryLogger();
    const again = await AlertJournal.open(dir, { maxBytes: MB, logger: log });
    expect(again.unacked().map((e) => e.alert.id)).toEqual([alerts[0]!.id, alerts[2]!.id]);
    expect(again.stats().corruptRecords).toBe(1);
    expect(log.lines.some((l) => l.level === 'error' && /damaged/.test(l.msg ?? ''))).toBe(true);
    await again.close();
  });

  it('stays under maxBytes by dropping the oldest acknowledged alerts first', async () => {
    const maxBytes = 64 * 1024;
    const j = await AlertJournal.open(dir, { maxBytes });
    const first = await j.append(makeAlert(0));
    const acked: number[] = [];
    for (let i = 1; i < 400; i++) {
      const e = await j.append(makeAlert(i));
      if (i % 4 !== 0) {
        j.ack(e.seq);
        acked.push(e.seq);
      }
    }
    await j.flush();
    const stats = j.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(statSync(join(dir, JOURNAL_FILE)).size).toBeLessThanOrEqual(maxBytes);
    expect(stats.droppedAcked).toBeGreaterThan(0);
    expect(stats.droppedUnacked).toBe(0);
    // Every unacknowledged alert survived, the very first one included.
    expect(j.unacked()).toHaveLength(400 - acked.length);
    expect(j.unacked()[0]!.seq).toBe(first.seq);
    // What was dropped is the oldest history: the acked entries kept are the newest ones.
    const keptAcked = j.entries().filter((e) => e.acked);
    expect(keptAcked.map((e) => e.seq)).toEqual(acked.slice(acked.length - keptAcked.length));
    await j.close();
  });

  it('when full of undelivered alerts, drops the oldest loudly: error log, counter and event', async () => {
    const maxBytes = 64 * 1024;
    const log = memoryLogger();
    const j = await AlertJournal.open(dir, { maxBytes, logger: log });
    const dropped: string[] = [];
    j.on('dropped', (e) => dropped.push(e.alert.id));
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const a = makeAlert(i);
      ids.push(a.id);
      await j.append(a);
    }
    const stats = j.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.droppedUnacked).toBeGreaterThan(0);
    expect(dropped).toHaveLength(stats.droppedUnacked);
    expect(dropped).toEqual(ids.slice(0, dropped.length));
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(dropped.length);
    expect(j.unacked().map((e) => e.alert.id)).toEqual(ids.slice(dropped.length));
    await j.close();
  });

  it('refuses a second writer on the same folder, and takes over a lock left by a dead process', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    await expect(AlertJournal.open(dir, { maxBytes: MB })).rejects.toThrow(/in use by process/);
    await j.close();
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // A pid that cannot be alive: the lock of a SIGKILLed gateway.
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 2147483646, boot }));
    const j2 = await AlertJournal.open(dir, { maxBytes: MB });
    await j2.close();
    // A live pid from before a reboot (other boot id) is not the owner any more.
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 1, boot: 'an-earlier-boot' }));
    const again = await AlertJournal.open(dir, { maxBytes: MB });
    await again.close();
  });

  it('readJournal reads without locking or changing the file', async () => {
    const j = await AlertJournal.open(dir, { maxBytes: MB });
    const a = await j.append(makeAlert(1));
    await j.append(makeAlert(2));
    j.ack(a.seq);
    await j.flush();
    const before = readFileSync(join(dir, JOURNAL_FILE));
    const read = await readJournal(dir);
    expect(read.entries.map((e) => e.acked)).toEqual([true, false]);
    expect(readFileSync(join(dir, JOURNAL_FILE))).toEqual(before);
    await j.close();
    await expect(readJournal(join(dir, 'nope'))).rejects.toThrow(/no alert journal/);
  });

  it('reports an unwritable folder with the path and what to do', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    await expect(AlertJournal.open(join(file, 'sub'), { maxBytes: MB })).rejects.toMatchObject({
      code: 'JOURNAL_IO',
      message: expect.stringContaining(file),
    });
  });
});
