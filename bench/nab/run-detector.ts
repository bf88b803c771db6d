// Runs tinygate's online detector over one NAB file as NAB runs a detector: row by row, learning during the
// probationary period, never looking ahead; the output is 1 at each row where an alarm was raised. The
// detector and its defaults are the product's (`tinygate detect`), not a bench copy.
import { runOverSeries, type SlowSignalOptions } from '../../src/detect/online/index.js';
import type { NabFile } from './corpus.js';
import { probationRows } from './scorer.js';

export type NabDetectorConfig = SlowSignalOptions;

export interface NabRun {
  alerts: Float64Array;
  surprise: Float64Array;
  seasonsS: number[];
}

export async function runOnFile(file: NabFile, config: NabDetectorConfig): Promise<NabRun> {
  const n = file.values.length;
  const tS = Float64Array.from(file.timestampsMs, (ms) => ms / 1000);
  const run = await runOverSeries(tS, [{ name: 'value', values: file.values }], probationRows(n), config);
  const alerts = new Float64Array(n);
  const surprise = new Float64Array(n);
  run.decisions.forEach((d, i) => {
    if (!d) return;
    surprise[i] = d.surprise;
    if (d.alarm === 'raised') alerts[i] = 1;
  });
  return { alerts, surprise, seasonsS: run.seasonsS };
}
