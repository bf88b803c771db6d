// A production install (`npm install --omit=dev`, or the package installed from the registry) has only
// `dependencies`: every package the CLI can load, from bin/ through every command, must be one of them.

import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { importGraph } from '../helpers/import-graph.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const builtins = new Set(builtinModules);

describe('production code imports only dependencies', () => {
  it('reaches no devDependency from bin/tinygate.js', () => {
    const graph = importGraph(join(ROOT, 'bin/tinygate.js'));
    // The walk must see the whole CLI, or an empty graph would pass.
    expect(graph.files.some((f) => f.includes('cli/run.'))).toBe(true);
    expect(graph.files.some((f) => f.includes('gateway/gateway.'))).toBe(true);
    const missing = graph.bare
      .filter((b) => !builtins.has(b.pkg) && !(b.pkg in pkg.dependencies))
      .map((b) => `${relative(ROOT, b.from)} imports ${b.specifier}`);
    expect(missing).toEqual([]);
    // The heavy packages commands need are found, so a failure above is not a blind walk.
    const found = new Set(graph.bare.map((b) => b.pkg));
    for (const p of ['commander', 'johnny-five', '@tensorflow/tfjs-tflite', 'mqtt', 'fastify']) {
      expect(found, p).toContain(p);
    }
  });

  it('would catch the AVR emulator (avr8js, a devDependency) if a command reached it', () => {
    const graph = importGraph(join(ROOT, 'src/sim/avr-board.ts'));
    const dev = graph.bare.filter((b) => b.pkg in pkg.devDependencies).map((b) => b.pkg);
    expect(dev).toContain('avr8js');
  });
});
