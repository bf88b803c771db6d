// flatc 2.0 writes extensionless relative imports; Node ESM (NodeNext) needs the `.js` suffix.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
if (!root) throw new Error('usage: fix-generated-imports.mjs <generated dir>');

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(/(from '\.{1,2}\/[^']*?)(?<!\.js)';/g, "$1.js';");
      writeFileSync(path, fixed);
    }
  }
}
walk(root);
