// A production install (`npm install --omit=dev`, or the package installed from the registry) has only
// `dependencies`: every package the built CLI can load, from bin/ through every command, must be one of
// them. The build is checked here too: it emits JavaScript whose stack traces name the TypeScript lines.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { importGraph } from '../helpers/import-graph.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const builtins = new Set(builtinModules);
// The package's layout, built afresh: bin/tinygate.js beside dist/.
const out = mkdtempSync(join(tmpdir(), 'tg-build-'));
const dist = join(out, 'dist');

describe('the built package', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), dist], { stdio: 'pipe' });
    mkdirSync(join(out, 'bin'));
    copyFileSync(join(ROOT, 'bin/tinygate.js'), join(out, 'bin/tinygate.js'));
  }, 120_000);

  it('reaches no devDependency from bin/tinygate.js', () => {
    const graph = importGraph(join(out, 'bin/tinygate.js'));
    // The walk must see the whole CLI, or an empty graph would pass.
    expect(graph.files).toContain(join(dist, 'cli/run.js'));
    expect(graph.files).toContain(join(dist, 'gateway/gateway.js'));
    const missing = graph.bare
      .filter((b) => !builtins.has(b.pkg) && !(b.pkg in pkg.dependencies))
      .map((b) => `${relative(out, b.from)} imports ${b.specifier}`);
    expect(missing).toEqual([]);
    // The heavy packages commands need are found, so a pass above is not a blind walk.
    const found = new Set(graph.bare.map((b) => b.pkg));
    for (const p of ['commander', 'johnny-five', '@tensorflow/tfjs-tflite', 'mqtt', 'fastify']) {
      expect(found, p).toContain(p);
    }
  });

  it('would catch the AVR emulator (avr8js, a devDependency) if a command reached it', () => {
    const graph = importGraph(join(dist, 'sim/avr-board.js'));
    expect(graph.bare.map((b) => b.pkg)).toContain('avr8js');
  });

  it('ships the data files the code reads beside itself', () => {
    for (const f of [
      'demo/scenarios/fan-3-bearing-fault.yaml',
      'sim/scenarios/healthy.yaml',
      'dashboard/public/index.html',
    ]) {
      expect(existsSync(join(dist, f)), f).toBe(true);
    }
  });

  it('maps stack traces of the built JavaScript to the TypeScript lines', () => {
    const source = readFileSync(join(ROOT, 'src/cli/parse.ts'), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes("throw new TinygateError('BAD_OPTION'")) + 1;
    const script = `
      const { mapStackTraces } = await import(${JSON.stringify(pathToFileURL(join(dist, 'cli/stack-traces.js')).href)});
      mapStackTraces();
      const { parseDuration } = await import(${JSON.stringify(pathToFileURL(join(dist, 'cli/parse.js')).href)});
      try { parseDuration('soon', '--duration'); } catch (err) { console.log(err.stack); }`;
    const stack = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(stack).toMatch(/^TinygateError: --duration soon is not a positive number of seconds/);
    expect(stack).toContain(`${join(ROOT, 'src/cli/parse.ts')}:${line}:`);
  });
});
