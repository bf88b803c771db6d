import { EventEmitter } from 'node:events';
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alert } from '../detect/alert.js';
import { TinygateError } from '../errors/index.js';
import { lockJournal } from './journal-lock.js';
import { ackedByOf, encodeRecord, type JournalRecord, MQTT_SINK, parseJournal } from './journal-record.js';
import { type Logger, silentLogger } from './logger.js';

export const JOURNAL_FILE = 'alerts.journal';

export interface JournalEntry {
  /** Journal order: replay follows it. */
  seq: number;
  alert: Alert;
  /** Epoch ms when the record became durable (or was read back at start). */
  journaledAt: number;
  /** The sinks that have it (each acknowledges on its own). */
  ackedBy: Set<string>;
  /** Every sink of the journal has it: only such entries are history. */
  acked: boolean;
}

export interface JournalStats {
  entries: number;
  /** Entries some sink still has to deliver. */
  unacked: number;
  /** Entries each sink still has to deliver. */
  unackedBySink: Record<string, number>;
  bytes: number;
  maxBytes: number;
  /** Torn last records skipped at start (a crash cut a write short). */
  tornRecords: number;
  /** Damaged records (not last) skipped at start. */
  corruptRecords: number;
  /** Acknowledged alerts dropped to stay under maxBytes (history only, nothing lost). */
  droppedAcked: number;
  /** Unacknowledged alerts dropped because the journal was full of them: each one logged as an error. */
  droppedUnacked: number;
}

export interface JournalOptions {
  maxBytes: number;
  logger?: Logger;
  /** The sinks that read it, each with its own acknowledgements (default: MQTT alone). */
  sinks?: string[];
}

interface Pending {
  bytes: Buffer;
  entry?: JournalEntry;
  resolve?: (e: JournalEntry) => void;
  reject?: (err: unknown) => void;
}

/** Compaction drops history down to this share of maxBytes, so a full journal is not rewritten per alert. */
const COMPACT_TARGET = 0.75;
/** Most alert records per write + fsync. */
const MAX_BATCH = 512;

/**
 * The on-disk alert journal: every alert is appended and fsync'd before any sink sends it; each sink (MQTT,
 * a webhook…) acknowledges what it delivered on its own, and after a restart replays what it has not, in
 * order. An entry is history once every sink has it. Appends that arrive together share one fsync.
 * Events: `durable` (entry) once a new alert is on disk; `dropped` (entry) when an alert some sink had not
 * delivered had to go to respect maxBytes.
 */
export class AlertJournal extends EventEmitter {
  readonly dir: string;
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly log: Logger;
  readonly sinks: string[];
  private readonly bySeq = new Map<number, JournalEntry>();
  private readonly byId = new Map<string, JournalEntry | Promise<JournalEntry>>();
  private fh: FileHandle | null = null;
  private bytes = 0;
  private nextSeq = 1;
  private queue: Pending[] = [];
  /** Acks waiting to be written, per sink, as one record per sink per write. */
  private ackQueue = new Map<string, number[]>();
  private flushing: Promise<void> | null = null;
  private closed = false;
  private unlock: () => void = () => {};
  private counters = { tornRecords: 0, corruptRecords: 0, droppedAcked: 0, droppedUnacked: 0 };

  private constructor(dir: string, options: JournalOptions) {
    super();
    this.dir = dir;
    this.file = join(dir, JOURNAL_FILE);
    this.maxBytes = options.maxBytes;
    this.log = options.logger ?? silentLogger;
    this.sinks = options.sinks ?? [MQTT_SINK];
  }

  /** Open (or create) the journal in `dir`, skip torn or damaged records with a log line, and compact it. */
  static async open(dir: string, options: JournalOptions): Promise<AlertJournal> {
    const j = new AlertJournal(dir, options);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw journalError(`cannot create the alert journal folder ${dir}`, err);
    }
    j.unlock = lockJournal(dir);
    try {
      await j.load();
      await j.rewrite();
    } catch (err) {
      j.unlock();
      throw err;
    }
    return j;
  }

  private async load(): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw journalError(`cannot read the alert journal ${this.file}`, err);
    }
    const parsed = parseJournal(data);
    if (parsed.tornTailBytes > 0) {
      this.counters.tornRecords = 1;
      this.log.warn(
        { file: this.file, bytes: parsed.tornTailBytes },
        'alert journal: skipped a torn last record (the process stopped mid-write); alerts before it are intact',
      );
    }
    if (parsed.corruptOffsets.length > 0) {
      this.counters.corruptRecords = parsed.corruptOffsets.length;
      this.log.error(
        { file: this.file, offsets: parsed.corruptOffsets },
        'alert journal: skipped damaged records (bad checksum); the disk may be failing',
      );
    }
    for (const r of parsed.records) this.apply(r);
  }

  private apply(r: JournalRecord): void {
    if (r.t === 'alert') {
      if (this.byId.has(r.alert.id)) return;
      const entry = this.entryOf(r.seq, r.alert, r.at, ackedByOf(r));
      this.bySeq.set(r.seq, entry);
      this.byId.set(r.alert.id, entry);
      this.nextSeq = Math.max(this.nextSeq, r.seq + 1);
    } else {
      for (const seq of r.seqs) {
        const e = this.bySeq.get(seq);
        if (e) this.mark(e, r.sink ?? MQTT_SINK);
      }
    }
  }

  private entryOf(seq: number, alert: Alert, at: number, ackedBy: string[]): JournalEntry {
    const entry: JournalEntry = { seq, alert, journaledAt: at, ackedBy: new Set(ackedBy), acked: false };
    entry.acked = this.sinks.every((s) => entry.ackedBy.has(s));
    return entry;
  }

  private mark(e: JournalEntry, sink: string): void {
    e.ackedBy.add(sink);
    e.acked = this.sinks.every((s) => e.ackedBy.has(s));
  }

  /**
   * Append an alert; resolves once it is on disk (fsync'd). An alert id already in the journal is not
   * written twice: the existing entry is returned.
   */
  append(alert: Alert): Promise<JournalEntry> {
    if (this.closed) {
      return Promise.reject(
        new TinygateError('JOURNAL_CLOSED', `alert ${alert.id} arrived after the journal was closed`, {
          kind: 'internal',
        }),
      );
    }
    const known = this.byId.get(alert.id);
    if (known) return Promise.resolve(known);
    const entry = this.entryOf(this.nextSeq++, alert, 0, []);
    const bytes = encodeRecord({ t: 'alert', seq: entry.seq, at: Date.now(), alert });
    const durable = new Promise<JournalEntry>((resolve, reject) => {
      this.queue.push({ bytes, entry, resolve, reject });
    });
    this.byId.set(alert.id, durable);
    this.kick();
    return durable;
  }

  /**
   * Mark an entry delivered by `sink`. Not fsync'd on its own: losing an ack only means one more duplicate
   * delivery (receivers tell them apart by the alert id).
   */
  ack(seq: number, sink: string = MQTT_SINK): void {
    const e = this.bySeq.get(seq);
    if (!e || e.ackedBy.has(sink)) return;
    this.mark(e, sink);
    if (!this.closed) {
      const q = this.ackQueue.get(sink) ?? [];
      q.push(seq);
      this.ackQueue.set(sink, q);
      this.kick();
    }
  }

  /** Durable entries `sink` has not delivered, in journal order. */
  unacked(sink: string = MQTT_SINK): JournalEntry[] {
    return [...this.bySeq.values()].filter((e) => !e.ackedBy.has(sink));
  }

  /** Every durable entry still kept (acked history included), oldest first. */
  entries(): JournalEntry[] {
    return [...this.bySeq.values()];
  }

  stats(): JournalStats {
    let unacked = 0;
    const unackedBySink: Record<string, number> = Object.fromEntries(this.sinks.map((s) => [s, 0]));
    for (const e of this.bySeq.values()) {
      if (!e.acked) unacked++;
      for (const s of this.sinks) if (!e.ackedBy.has(s)) unackedBySink[s]!++;
    }
    return {
      entries: this.bySeq.size,
      unacked,
      unackedBySink,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      ...this.counters,
    };
  }

  /** Resolves when everything appended so far is on disk. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Flush, fsync and release the folder. Later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.fh?.datasync();
    await this.fh?.close();
    this.fh = null;
    this.unlock();
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0 || this.ackQueue.size > 0) this.kick();
    });
  }

  // One write and one fsync for everything queued since the last round: group commit.
  private async drain(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length > 0 || this.ackQueue.size > 0) {
      // Bounded batches: the first alerts of a burst reach the broker while later ones are still being synced.
      const batch = this.queue.splice(0, MAX_BATCH);
      for (const [sink, seqs] of this.ackQueue) {
        batch.push({
          bytes: encodeRecord(sink === MQTT_SINK ? { t: 'ack', seqs } : { t: 'ack', seqs, sink }),
        });
      }
      this.ackQueue.clear();
      const buf = Buffer.concat(batch.map((p) => p.bytes));
      try {
        if (!this.fh) throw new Error('journal file is not open');
        await this.fh.write(buf);
        if (batch.some((p) => p.entry)) await this.fh.datasync();
        this.bytes += buf.length;
      } catch (err) {
        const e = journalError(`cannot write to the alert journal ${this.file}`, err);
        for (const p of batch) {
          if (p.entry) this.byId.delete(p.entry.alert.id);
          p.reject?.(e);
        }
        continue;
      }
      const now = Date.now();
      for (const p of batch) {
        if (!p.entry) continue;
        p.entry.journaledAt = now;
        this.bySeq.set(p.entry.seq, p.entry);
        this.byId.set(p.entry.alert.id, p.entry);
      }
      if (this.bytes > this.maxBytes) await this.compact();
      for (const p of batch) if (p.entry) p.resolve?.(p.entry);
      for (const p of batch) if (p.entry && this.bySeq.has(p.entry.seq)) this.emit('durable', p.entry);
    }
  }

  /** Drop the oldest acknowledged history, then (loudly) the oldest unacknowledged alerts, to fit maxBytes. */
  private async compact(): Promise<void> {
    const target = Math.floor(this.maxBytes * COMPACT_TARGET);
    let size = 0;
    const sizes = new Map<number, number>();
    for (const e of this.bySeq.values()) {
      const n = encodeRecord(recordOf(e)).length;
      sizes.set(e.seq, n);
      size += n;
    }
    for (const wantAcked of [true, false]) {
      for (const e of [...this.bySeq.values()]) {
        if (size <= target) break;
        if (e.acked !== wantAcked) continue;
        this.bySeq.delete(e.seq);
        this.byId.delete(e.alert.id);
        size -= sizes.get(e.seq) ?? 0;
        if (wantAcked) {
          this.counters.droppedAcked++;
        } else {
          this.counters.droppedUnacked++;
          this.log.error(
            { alertId: e.alert.id, board: e.alert.board, maxBytes: this.maxBytes },
            'alert journal full of undelivered alerts: dropped the oldest one (raise mqtt.journal.maxBytes or fix the connection of the sinks that have not delivered it)',
          );
          this.emit('dropped', e);
        }
      }
    }
    await this.rewrite();
  }

  /** Atomically replace the file with one record per kept entry (acks folded in), then reopen it for appends. */
  private async rewrite(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const buf = Buffer.concat([...this.bySeq.values()].map((e) => encodeRecord(recordOf(e))));
    try {
      await this.fh?.close();
      this.fh = null;
      const out = await open(tmp, 'w');
      await out.write(buf);
      await out.sync();
      await out.close();
      await rename(tmp, this.file);
      const dirHandle = await open(this.dir, 'r');
      await dirHandle.sync();
      await dirHandle.close();
      this.fh = await open(this.file, 'a');
      this.bytes = buf.length;
    } catch (err) {
      throw journalError(`cannot rewrite the alert journal ${this.file}`, err);
    }
  }
}

function recordOf(e: JournalEntry): JournalRecord {
  return e.ackedBy.size > 0
    ? { t: 'alert', seq: e.seq, at: e.journaledAt, ackedBy: [...e.ackedBy], alert: e.alert }
    : { t: 'alert', seq: e.seq, at: e.journaledAt, alert: e.alert };
}

function journalError(message: string, cause: unknown): TinygateError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  return new TinygateError('JOURNAL_IO', `${message}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
    hint:
      code === 'ENOSPC'
        ? 'The disk is full: free space or move mqtt.journal.path to a larger disk.'
        : code === 'EACCES' || code === 'EPERM'
          ? 'The gateway user cannot write there: fix the folder permissions or set mqtt.journal.path.'
          : 'Check that mqtt.journal.path is a writable folder on a local disk.',
  });
}

/**
 * Read a journal without locking or changing it (for `tinygate alerts`): entries plus what was skipped.
 * `acked` here is MQTT's acknowledgement (the file does not say which sinks the gateway runs); `ackedBy` has all.
 */
export async function readJournal(
  dir: string,
): Promise<{ entries: JournalEntry[]; tornRecords: number; corruptRecords: number; bytes: number }> {
  const file = join(dir, JOURNAL_FILE);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TinygateError('JOURNAL_MISSING', `no alert journal at ${file}`, {
        hint: 'Pass the folder set as mqtt.journal.path in the gateway config.',
      });
    }
    throw journalError(`cannot read the alert journal ${file}`, err);
  }
  const parsed = parseJournal(data);
  const bySeq = new Map<number, JournalEntry>();
  const ids = new Set<string>();
  for (const r of parsed.records) {
    if (r.t === 'alert') {
      if (ids.has(r.alert.id)) continue;
      ids.add(r.alert.id);
      const ackedBy = new Set(ackedByOf(r));
      bySeq.set(r.seq, {
        seq: r.seq,
        alert: r.alert,
        journaledAt: r.at,
        ackedBy,
        acked: ackedBy.has(MQTT_SINK),
      });
    } else {
      for (const s of r.seqs) {
        const e = bySeq.get(s);
        e?.ackedBy.add(r.sink ?? MQTT_SINK);
        if (e && (r.sink ?? MQTT_SINK) === MQTT_SINK) e.acked = true;
      }
    }
  }
  return {
    entries: [...bySeq.values()],
    tornRecords: parsed.tornTailBytes > 0 ? 1 : 0,
    corruptRecords: parsed.corruptOffsets.length,
    bytes: data.length,
  };
}
