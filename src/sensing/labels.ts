// Labelled anomaly windows kept beside the data, as NAB keeps them (labels/combined_windows.json:
// { "<category>/<file>.csv": [[start, end], ...] } with timestamps), applied to a recording.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TinygateError } from '../errors/index.js';
import { parseTimestamp, type Recording } from './recording.js';

/** The windows (seconds from the recording's first row) labelled for this data file, found by its name. */
export function readLabelledWindows(path: string, rec: Recording): Array<[number, number]> {
  let doc: Record<string, Array<[string, string]>>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (cause) {
    throw new TinygateError('LABELS_UNREADABLE', `${path}: cannot read the labelled windows`, {
      hint: "Give a JSON file such as NAB's labels/combined_windows.json.",
      cause,
    });
  }
  const key = Object.keys(doc).find((k) => basename(k) === basename(rec.file));
  if (!key) {
    throw new TinygateError('LABELS_NO_ENTRY', `${path}: no entry for ${basename(rec.file)}`, {
      hint: `Its entries: ${Object.keys(doc).slice(0, 5).join(', ')}${Object.keys(doc).length > 5 ? ', …' : ''}.`,
    });
  }
  const start = rec.startEpochMs;
  if (start === undefined) {
    throw new TinygateError(
      'LABELS_NEED_TIMESTAMPS',
      `${rec.file}: labelled windows are times; the file has no timestamps`,
      {
        hint: 'Give a file with a timestamp column.',
      },
    );
  }
  return doc[key]!.map(([a, b]) => [(parseTimestamp(a) - start) / 1000, (parseTimestamp(b) - start) / 1000]);
}

/** Marks rows inside the windows as a labelled fault (`fault` = labelled, `severity` = 1), the rest normal. */
export function labelRecording(rec: Recording, windows: ReadonlyArray<readonly [number, number]>): void {
  const n = rec.t.length;
  const severity = new Float64Array(n);
  const fault = new Array<string>(n).fill('none');
  for (let i = 0; i < n; i++) {
    if (windows.some(([a, b]) => rec.t[i]! >= a && rec.t[i]! <= b)) {
      severity[i] = 1;
      fault[i] = 'labelled';
    }
  }
  rec.columns.set('severity', severity);
  rec.labels.set('fault', fault);
}
