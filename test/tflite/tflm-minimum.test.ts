// The TFLite Micro arena estimate (inspect, the fit check) against what TFLite Micro itself reports:
// `arena_used_bytes()` after AllocateTensors and the smallest arena AllocateTensors succeeds in (it borrows
// scratch from the head while it allocates), both measured by bench/peers/tflm on the emulated Cortex-M3
// (`npm run bench -- runtime`, `tflm` per model). Every model measured is within 5 %.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateTflmArena, readTflite } from '../../src/tflite/index.js';
import { ROOT } from '../helpers/cli.js';
import { fetchedModels, readFetched } from '../helpers/fetched-models.js';
import { allKernelsGraph } from '../helpers/int8-graph.js';
import { haveReferenceModels, referenceModel } from './reference.js';

const MEASURED: Record<string, { used: number; minimum: number; load: () => Uint8Array; have: boolean }> = {
  hello_world_int8: {
    used: 676,
    minimum: 1068,
    load: () => referenceModel('hello_world_int8'),
    have: haveReferenceModels,
  },
  ad01_int8: {
    used: 2260,
    minimum: 2700,
    load: () => referenceModel('ad01_int8'),
    have: haveReferenceModels,
  },
  kws_int8: {
    used: 22772,
    minimum: 22772,
    load: () => referenceModel('kws_int8'),
    have: haveReferenceModels,
  },
  // Every kernel in one graph, MEAN's scratch buffers among them.
  'all-kernels test graph': { used: 1780, minimum: 2424, load: allKernelsGraph, have: true },
  'motor-vib': {
    used: 836,
    minimum: 1300,
    load: () => new Uint8Array(readFileSync(join(ROOT, 'models/motor-vib/model.int8.tflite'))),
    have: true,
  },
};
const fetched = fetchedModels();
const FETCHED_MEASURED: Record<string, { used: number; minimum: number }> = {
  vww_96_int8: { used: 100660, minimum: 100660 },
  resnet8_int8: { used: 54340, minimum: 54340 },
  person_detect_int8: { used: 82292, minimum: 82296 },
};
for (const [name, m] of Object.entries(FETCHED_MEASURED))
  MEASURED[name] = {
    ...m,
    load: () => readFetched(name),
    have: fetched.present.some((f) => f.name === name),
  };

describe('the TFLite Micro arena estimate', () => {
  for (const [name, m] of Object.entries(MEASURED)) {
    it.skipIf(!m.have)(
      `${name}: within 5 % of the ${m.used} B it uses and the ${m.minimum} B it needs`,
      () => {
        const e = estimateTflmArena(readTflite(m.load()));
        expect(Math.abs(e.totalBytes - m.used) / m.used).toBeLessThanOrEqual(0.05);
        expect(Math.abs(e.minimumBytes - m.minimum) / m.minimum).toBeLessThanOrEqual(0.05);
        expect(e.minimumBytes).toBeGreaterThanOrEqual(e.totalBytes);
      },
    );
  }
});
