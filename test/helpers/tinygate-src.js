// The CLI run from its TypeScript sources through tsx, so CLI tests see the code as it is now, not the
// last `npm run build` (bin/tinygate.js runs dist/; the packed install is checked by .ci/pack-install).
import { register } from 'tsx/esm/api';

register();
await import('../../src/cli/main.ts');
