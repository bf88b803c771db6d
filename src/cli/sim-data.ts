import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import { resolveScenario, type Scenario, shippedScenarios, writeScenarioCsv } from '../sim/index.js';
import { table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface SimDataOptions extends JsonFlag {
  scenario?: string;
  output?: string;
  duration?: string;
  seed?: string;
  rate?: string;
  list?: boolean;
}

/** Adds `data` to the `sim` command group: write a labelled scenario CSV. */
export function registerSimData(sim: Command): void {
  sim
    .command('data')
    .description(
      'write machine signals for a scenario as labelled CSV (also a scenario file for the host virtual board)',
    )
    .option('--scenario <name|file>', 'a shipped scenario name (see --list) or a .yaml/.json scenario file')
    .option(
      '-o, --output <file.csv>',
      'where to write the CSV (a <file>.channels.json sidecar goes next to it)',
    )
    .option('--duration <seconds>', 'override the scenario duration')
    .option('--seed <n>', 'override the scenario seed')
    .option('--rate <hz>', 'override the rows per second')
    .option('--list', 'list the shipped scenarios')
    .option('--json', 'print one JSON document')
    .action(
      action((opts: SimDataOptions) => {
        if (opts.list) {
          const list = shippedScenarios().map((name) => {
            const s = resolveScenario(name);
            return { name, description: s.description, durationS: s.durationS, seed: s.seed };
          });
          report(opts, list, () =>
            table(
              ['scenario', 'seconds', 'seed', 'what'],
              list.map((s) => [s.name, String(s.durationS), String(s.seed), s.description]),
            ),
          );
          return;
        }
        if (!opts.scenario || !opts.output) {
          throw new TinygateError('USAGE', 'sim data needs --scenario and -o', {
            hint: 'e.g. tinygate sim data --scenario bearing-outer-race -o data.csv (see --list).',
          });
        }
        const scenario: Scenario = { ...resolveScenario(opts.scenario) };
        if (opts.duration !== undefined) scenario.durationS = positive(opts.duration, '--duration');
        if (opts.seed !== undefined) scenario.seed = Math.round(positive(opts.seed, '--seed', true));
        if (opts.rate !== undefined) scenario.rateHz = positive(opts.rate, '--rate');
        const bar = progressBar('sim data', Math.round(scenario.durationS * scenario.rateHz), 'rows');
        const out = writeScenarioCsv(scenario, resolve(opts.output), (n) => bar.update(n));
        bar.stop();
        const doc = { scenario: scenario.name, seed: scenario.seed, ...out };
        report(
          opts,
          doc,
          () =>
            `wrote ${out.rows} rows (${out.durationS} s of "${scenario.name}", seed ${scenario.seed}) to ${out.file}\nchannels: ${out.metaFile}`,
        );
      }),
    );
}

function positive(text: string, flag: string, allowZero = false): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new TinygateError(
      'USAGE',
      `${flag} "${text}" is not a ${allowZero ? 'non-negative' : 'positive'} number`,
      {
        hint: `Give ${flag} a number.`,
      },
    );
  }
  return v;
}
