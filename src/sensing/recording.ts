import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { TinygateError } from '../errors/index.js';
import { ChannelMeta } from './channels.js';

/**
 * A table of samples: `t` in seconds, numeric channel columns, and text label columns (what the
 * simulator writes, or what `tinygate record` wrote).
 */
export interface Recording {
  file: string;
  t: Float64Array;
  /** Numeric columns by name. */
  columns: Map<string, Float64Array>;
  /** Non-numeric columns (labels) by name. */
  labels: Map<string, string[]>;
  /** Samples per second, from the median step of `t`. */
  rateHz: number;
  /** Epoch ms of the first row when the file has real timestamps (then `t` counts seconds from it). */
  startEpochMs?: number;
  /** Rows whose time does not come after the previous row's (kept in file order), and the first of them. */
  timeSteppedBack?: { rows: number; first: string };
}

/** Column names taken as the time of each row, besides `t` (seconds): ISO-8601 text or epoch s/ms. */
export const TIMESTAMP_COLUMNS = ['timestamp', 'time', 'datetime', 'date'];

/**
 * One timestamp cell → epoch ms: ISO-8601 ("2014-02-19T10:50:00Z", or NAB's "2014-02-19 10:50:00", read as
 * UTC when it names no zone), or a number of epoch seconds (ms when above 1e11).
 */
export function parseTimestamp(cell: string): number {
  const text = cell.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const v = Number(text);
    return Math.abs(v) > 1e11 ? v : v * 1000;
  }
  const iso = text.replace(' ', 'T');
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  return Date.parse(zoned || !iso.includes('T') ? iso : `${iso}Z`);
}

/** Read a CSV recording; errors name the line and column. */
export function readRecording(file: string): Recording {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TinygateError('DATA_UNREADABLE', `${file}: cannot read the data file`, {
      hint: 'Check the path; make data with `tinygate sim data` or `tinygate record`.',
      cause,
    });
  }
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) {
    throw new TinygateError('DATA_INVALID', `${file}: no data rows`, {
      hint: 'A recording is a header row starting with t, then one row per sample.',
    });
  }
  const header = lines[0]!.split(',').map((h) => h.trim());
  let tIndex = header.indexOf('t');
  const stampIndex = tIndex >= 0 ? -1 : header.findIndex((h) => TIMESTAMP_COLUMNS.includes(h.toLowerCase()));
  if (tIndex < 0) tIndex = stampIndex;
  if (tIndex < 0) {
    throw new TinygateError(
      'DATA_INVALID',
      `${file}: line 1: no time column (t in seconds, or ${TIMESTAMP_COLUMNS.join(' / ')} with ISO-8601 or epoch times)`,
      { hint: `The first row names the columns; it has: ${header.join(', ')}.` },
    );
  }
  const n = lines.length - 1;
  const numeric = header.map(() => new Float64Array(n));
  const text2 = header.map(() => [] as string[]);
  const isText = header.map(() => false);
  // A column is text when its first row is not a number (labels such as "none" or "bearing-outer-race").
  const first = lines[1]!.split(',');
  for (let c = 0; c < header.length; c++) isText[c] = c !== tIndex && Number.isNaN(Number(first[c]));
  for (let r = 0; r < n; r++) {
    const cells = lines[r + 1]!.split(',');
    if (cells.length !== header.length) {
      throw new TinygateError(
        'DATA_INVALID',
        `${file}: line ${r + 2}: ${cells.length} cells, the header has ${header.length}`,
        { hint: 'Every row needs one cell per header column.' },
      );
    }
    for (let c = 0; c < header.length; c++) {
      const cell = cells[c]!;
      if (c === stampIndex) {
        const ms = parseTimestamp(cell);
        if (Number.isNaN(ms)) {
          throw new TinygateError(
            'DATA_INVALID',
            `${file}: line ${r + 2}, column ${header[c]}: "${cell}" is not a time`,
            {
              hint: 'Use ISO-8601 (2024-05-01T12:00:00Z, or "2024-05-01 12:00:00" read as UTC) or epoch seconds/ms.',
            },
          );
        }
        numeric[c]![r] = ms;
        continue;
      }
      if (isText[c]) {
        text2[c]!.push(cell);
        continue;
      }
      const v = cell === '' ? Number.NaN : Number(cell);
      if (Number.isNaN(v) && c === tIndex) {
        throw new TinygateError(
          'DATA_INVALID',
          `${file}: line ${r + 2}, column t: "${cell}" is not a number`,
          {
            hint: 't is seconds since the start of the recording.',
          },
        );
      }
      numeric[c]![r] = v;
    }
  }
  let t = numeric[tIndex]!;
  let startEpochMs: number | undefined;
  if (stampIndex >= 0) {
    startEpochMs = t[0]!;
    const ms = t;
    t = Float64Array.from(ms, (v) => (v - ms[0]!) / 1000);
  }
  // Real logs step back now and then (a clock set back an hour): rows stay in file order, and we say where.
  let backward = 0;
  let firstBackward: string | undefined;
  for (let r = 1; r < n; r++) {
    if (!(t[r]! > t[r - 1]!)) {
      backward++;
      firstBackward ??= `line ${r + 2}: ${cells(lines, r + 1, tIndex)} after ${cells(lines, r, tIndex)}`;
    }
  }
  const columns = new Map<string, Float64Array>();
  const labels = new Map<string, string[]>();
  header.forEach((h, c) => {
    if (c === tIndex) return;
    if (isText[c]) labels.set(h, text2[c]!);
    else columns.set(h, numeric[c]!);
  });
  return {
    file,
    t,
    columns,
    labels,
    rateHz: estimateRate(t, file),
    ...(startEpochMs !== undefined ? { startEpochMs } : {}),
    ...(backward ? { timeSteppedBack: { rows: backward, first: firstBackward! } } : {}),
  };
}

function cells(lines: string[], line: number, column: number): string {
  return lines[line]!.split(',')[column] ?? '?';
}

function estimateRate(t: Float64Array, file: string): number {
  const steps: number[] = [];
  for (let i = 1; i < Math.min(t.length, 2001); i++) if (t[i]! > t[i - 1]!) steps.push(t[i]! - t[i - 1]!);
  steps.sort((a, b) => a - b);
  const median = steps[steps.length >> 1] ?? 0;
  if (!(median > 0)) {
    throw new TinygateError('DATA_INVALID', `${file}: column t does not increase`, {
      hint: 't must be seconds, increasing from row to row.',
    });
  }
  return 1 / median;
}

/** The named columns, or a clear error listing what the file has. */
export function pickColumns(rec: Recording, names: string[]): Float64Array[] {
  return names.map((name) => {
    const col = rec.columns.get(name);
    if (!col) {
      throw new TinygateError('DATA_MISSING_CHANNEL', `${rec.file}: no numeric column "${name}"`, {
        hint: `The file has: ${[...rec.columns.keys()].join(', ')}.`,
      });
    }
    return col;
  });
}

/** Sidecar next to a recording: what its channels are, so checks and models know their sensors. */
export const RecordingMeta = z.object({
  source: z.enum(['sim', 'record']),
  rateHz: z.number().positive(),
  channels: z.array(ChannelMeta),
  /** For simulated data: the scenario that made it. */
  scenario: z.unknown().optional(),
  board: z.string().optional(),
});
export type RecordingMeta = z.infer<typeof RecordingMeta>;

/** data.csv → data.channels.json */
export function metaFileFor(csv: string): string {
  return `${csv.replace(/\.csv$/i, '')}.channels.json`;
}

export function writeRecordingMeta(csv: string, meta: RecordingMeta): string {
  const file = metaFileFor(csv);
  writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`);
  return file;
}

/** The sidecar of a recording, or null when there is none. */
export function readRecordingMeta(csv: string): RecordingMeta | null {
  const file = metaFileFor(csv);
  if (!existsSync(file)) return null;
  const r = RecordingMeta.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TinygateError('DATA_INVALID', `${file}: ${issue.path.join('.')}: ${issue.message}`, {
      hint: 'Delete the sidecar (checks then fall back to what the data shows) or write it again.',
    });
  }
  return r.data;
}
