// Start-up is cheap: loading a capability's index.ts, or the CLI with one light command, must not load
// the heavy packages (tens of MiB and 50–300 ms each); those load with import() where they are used.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { importGraph } from '../helpers/import-graph.js';

const HEAVY = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-tflite',
  'johnny-five',
  'firmata-io',
  'serialport',
  'fastify',
  'aedes',
  'avr8js',
  'mqtt',
  'sparkplug-payload',
];
/** What a capability is about may load with it: the link is a serial port, publishing is MQTT. */
const OWN: Record<string, string[]> = {
  link: ['serialport'],
  publish: ['mqtt'],
  gateway: ['serialport', 'mqtt'],
  demo: ['mqtt'],
};

const heavyLoadedBy = (file: string) =>
  [...new Set(importGraph(file, true).bare.map((b) => b.pkg))].filter((p) => HEAVY.includes(p));

describe('heavy packages load only where used', () => {
  const capabilities = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(ROOT, 'src', d.name)).includes('index.ts'))
    .map((d) => d.name);

  it.each(capabilities)('src/%s/index.ts', (name) => {
    const heavy = heavyLoadedBy(join(ROOT, 'src', name, 'index.ts')).filter((p) => !OWN[name]?.includes(p));
    expect(heavy).toEqual([]);
  });

  it('the CLI entry loads no command, and boards and inspect load nothing heavy', () => {
    expect(capabilities.length).toBeGreaterThan(8);
    const main = importGraph(join(ROOT, 'src/cli/main.ts'), true);
    expect([...new Set(main.bare.map((b) => b.pkg))]).toEqual(['commander']);
    expect(heavyLoadedBy(join(ROOT, 'src/cli/boards.ts'))).toEqual([]);
    expect(heavyLoadedBy(join(ROOT, 'src/cli/inspect.ts'))).toEqual([]);
    // The walk does see heavy packages where they are loaded statically.
    expect(heavyLoadedBy(join(ROOT, 'src/publish/connection.ts'))).toEqual(['mqtt']);
  });
});
