// The firmware's C unit tests (model store under power cuts, CRC-32, 7-bit packing, fixed point, the
// sampler and the slot sender), built with ASan/UBSan and run from npm test so a red C test is a red suite.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('firmware-bridge C unit tests', () => {
  it('make test passes with no failed checks', () => {
    const out = execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'test'], {
      encoding: 'utf8',
    });
    const results = new Map(
      [...out.matchAll(/^(.+): (\d+) checks, (\d+) failed$/gm)].map((m) => [
        m[1]!,
        [Number(m[2]), Number(m[3])],
      ]),
    );
    // Every suite ran (a suite that printed nothing, or checked nothing, is a failure too).
    expect([...results.keys()].sort()).toEqual([
      'codec',
      'model store',
      'sampler',
      'slot sender',
      'test_fixed_point',
    ]);
    for (const [suite, [checks, failed]] of results) {
      expect(checks, suite).toBeGreaterThan(0);
      expect(failed, suite).toBe(0);
    }
  }, 120_000);
});
