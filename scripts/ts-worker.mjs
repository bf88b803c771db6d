// A worker thread running TypeScript from the sources (tests, `npm run bench`): Node 20 does not hand the
// parent's tsx loader to worker threads, so this registers tsx here and then loads the worker's module
// (`workerData.tsEntry`). The package never uses it: it runs the compiled .js workers.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
