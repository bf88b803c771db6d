// The firmware's C unit tests (model store under power cuts, CRC-32, 7-bit packing), built with
// ASan/UBSan and run from npm test so a red C test is a red suite.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('firmware-bridge C unit tests', () => {
  it('make test passes with no failed checks', () => {
    const out = execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'test'], {
      encoding: 'utf8',
    });
    const results = [...out.matchAll(/(\d+) checks, (\d+) failed/g)];
    expect(results.length).toBeGreaterThanOrEqual(2);
    for (const [, checks, failed] of results) {
      expect(Number(checks)).toBeGreaterThan(100);
      expect(Number(failed)).toBe(0);
    }
  }, 120_000);
});
