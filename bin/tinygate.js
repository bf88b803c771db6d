#!/usr/bin/env node
// The CLI as `npm run build` compiled it (dist/), with stack traces mapped back to the TypeScript lines.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  process.stderr.write('tinygate: dist/ is missing: run `npm run build` (npm install runs it).\n');
  process.exit(2);
}
const { mapStackTraces } = await import('../dist/cli/stack-traces.js');
mapStackTraces();
await import('../dist/cli/main.js');
