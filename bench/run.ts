// Runs every benchmark (or those named on the command line), each in its own process so they cannot
// disturb each other's timing, and keeps each JSON result in bench/results/<name>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');
const requested = process.argv.slice(2);
const all = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => basename(f, '.ts'))
  .sort();
const names = requested.length ? requested : all;
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ') || '(none yet)'}`);
  process.exit(1);
}
mkdirSync(resultsDir, { recursive: true });
for (const name of names) {
  console.error(`bench: ${name} …`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = JSON.parse(out) as unknown;
  const doc = { bench: name, date: new Date().toISOString(), node: process.version, result };
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(JSON.stringify(doc));
}
