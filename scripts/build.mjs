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
// The board runtime as WebAssembly (scorer: int8-exact). Without clang's wasm target it is left out, and
// that scorer says so when asked for.
try {
  execFileSync('make', ['-s', '-C', join(root, 'firmware-bridge'), 'wasm'], { stdio: 'pipe' });
  cpSync(
    join(root, 'firmware-bridge/build/wasm/tinygate-runtime.wasm'),
    join(outDir, 'wasm/tinygate-runtime.wasm'),
  );
} catch (err) {
  console.warn(
    `build: the WebAssembly runtime was not built (${String(err.stderr ?? err.message)
      .trim()
      .split('\n')
      .pop()}); scorer: int8-exact will be unavailable. Install clang, lld and wasi-libc to build it.`,
  );
}
