// `npm run build`: compile src/ to dist/ (JavaScript with source maps, what the package runs), and copy
// the files the code reads beside itself (scenarios, the dashboard page). dist/ is made afresh so a
// source that was deleted leaves no module behind.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Folders under src/ that hold data files, not code: copied as they are. */
export const ASSET_DIRS = ['sim/scenarios', 'demo/scenarios', 'dashboard/public'];

const outDir = process.argv[2] ?? join(root, 'dist');
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
});
for (const dir of ASSET_DIRS) cpSync(join(root, 'src', dir), join(outDir, dir), { recursive: true });
