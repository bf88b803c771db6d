// Errors a script can rely on: argument mistakes are JSON under --json like every other error, and the
// list of error codes in docs/errors.md is the one the code has.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

describe('errors', () => {
  it('reports an unknown option and a missing argument as one JSON error under --json', async () => {
    const unknown = await runCli(['boards', '--colour', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'USAGE', kind: 'user' });
    expect(JSON.parse(unknown.stdout).error.message).toMatch(/unknown option '--colour'/);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);

    const missing = await runCli(['inspect', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.message).toMatch(/missing required argument 'model'/);

    const plain = await runCli(['inspect']);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
  });

  it('docs/errors.md lists every error code the code throws', () => {
    // Fails when a code was added, renamed or dropped without `npm run docs:errors`.
    execFileSync(process.execPath, [join(ROOT, 'scripts/errors-doc.mjs'), '--check'], { stdio: 'pipe' });
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const codes = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(codes).toContain('USAGE');
    expect(codes).toContain('CONFIG_INVALID');
    expect(new Set(codes).size).toBe(codes.length);
  });
});
