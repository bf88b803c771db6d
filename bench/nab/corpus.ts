// Reads a NAB-layout folder: data/<category>/<file>.csv (timestamp,value) and labels/combined_windows.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabelledSeries } from './scorer.js';

/** The shared NAB subset, or another folder of the same layout named by NAB_DIR. */
export const NAB_DIR =
  process.env.NAB_DIR ?? fileURLToPath(new URL('../../../shared/datasets/nab/', import.meta.url));

export interface NabFile extends LabelledSeries {
  category: string;
  values: Float64Array;
}

/** NAB timestamps are UTC wall-clock "YYYY-MM-DD HH:MM:SS[.ffffff]". */
export function parseNabTime(text: string): number {
  const ms = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a NAB timestamp: "${text}"`);
  return ms;
}

export function readNabCsv(path: string): {
  timestampsMs: Float64Array;
  values: Float64Array;
  columns: string[];
} {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const columns = lines[0]!.split(',');
  const n = lines.length - 1;
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1]!.split(',');
    timestampsMs[i] = parseNabTime(cells[0]!);
    values[i] = Number(cells[1]);
  }
  return { timestampsMs, values, columns };
}

/** Reads one column of a NAB-layout CSV by name (e.g. a results file's anomaly_score). */
export function readCsvColumn(path: string, column: string): Float64Array {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const idx = lines[0]!.split(',').indexOf(column);
  if (idx < 0) throw new Error(`${path}: no column ${column}`);
  return Float64Array.from(lines.slice(1), (l) => Number(l.split(',')[idx]));
}

export function corpusAvailable(dir = NAB_DIR): boolean {
  return existsSync(join(dir, 'labels', 'combined_windows.json')) && existsSync(join(dir, 'data'));
}

/** Every labelled file of the folder, categories and files in name order. */
export function loadCorpus(dir = NAB_DIR): NabFile[] {
  const labels = JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    Array<[string, string]>
  >;
  const files: NabFile[] = [];
  for (const category of readdirSync(join(dir, 'data')).sort()) {
    for (const file of readdirSync(join(dir, 'data', category)).sort()) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const windows = labels[name];
      if (!windows) continue;
      const { timestampsMs, values } = readNabCsv(join(dir, 'data', category, file));
      files.push({
        name,
        category,
        timestampsMs,
        values,
        windows: windows.map(([a, b]) => [parseNabTime(a), parseNabTime(b)] as const),
      });
    }
  }
  return files;
}
