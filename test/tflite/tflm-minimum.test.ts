// The smallest arena TFLite Micro's AllocateTensors succeeds in is larger than what it uses afterwards:
// it borrows scratch from the head while it allocates. Figures measured with the real TFLite Micro.
import { describe, expect, it } from 'vitest';
import { estimateTflmArena, readTflite } from '../../src/tflite/index.js';
import { haveReferenceModels, referenceModel } from './reference.js';

const MEASURED = {
  hello_world_int8: { used: 676, minimum: 1068 },
  ad01_int8: { used: 2260, minimum: 2700 },
} as const;

describe.skipIf(!haveReferenceModels)('TFLite Micro smallest working arena', () => {
  for (const [name, m] of Object.entries(MEASURED)) {
    it(`${name}: within 10 % of the measured ${m.minimum} B, and above what it uses`, () => {
      const e = estimateTflmArena(readTflite(referenceModel(name as keyof typeof MEASURED)));
      expect(Math.abs(e.minimumBytes - m.minimum) / m.minimum).toBeLessThanOrEqual(0.1);
      expect(e.minimumBytes).toBeGreaterThan(e.totalBytes);
    });
  }
});
