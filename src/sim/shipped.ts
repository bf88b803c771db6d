import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TinygateError } from '../errors/index.js';
import { loadScenario, type Scenario } from './scenario.js';

/** The scenarios shipped in src/sim/scenarios (healthy, the machine faults, the sensor faults). */
export const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

export function shippedScenarios(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** A scenario by shipped name ("bearing-outer-race") or by path to a .yaml/.json file. */
export function resolveScenario(nameOrFile: string): Scenario {
  if (/[/\\]|\.(ya?ml|json)$/i.test(nameOrFile)) return loadScenario(nameOrFile);
  const file = join(SCENARIO_DIR, `${nameOrFile}.yaml`);
  if (!existsSync(file)) {
    throw new TinygateError('SCENARIO_UNKNOWN', `no shipped scenario named "${nameOrFile}"`, {
      hint: `Shipped: ${shippedScenarios().join(', ')}; or give a path to a .yaml/.json scenario file.`,
    });
  }
  return loadScenario(file);
}
