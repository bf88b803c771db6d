import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveScenario, writeScenarioCsv } from '../sim/index.js';

/**
 * The CSV the host board plays: a `.csv` is used as it is; a scenario name or .yaml/.json file is
 * rendered by the machine-signal simulator into a temporary CSV (the board loops it).
 */
export function hostScenarioFile(nameOrFile: string, o: { durationS?: number } = {}): string {
  if (nameOrFile.toLowerCase().endsWith('.csv')) return nameOrFile;
  const scenario = resolveScenario(nameOrFile);
  const s = o.durationS ? { ...scenario, durationS: o.durationS } : scenario;
  const file = join(mkdtempSync(join(tmpdir(), 'tinygate-scenario-')), `${s.name}.csv`);
  writeScenarioCsv(s, file);
  return file;
}
