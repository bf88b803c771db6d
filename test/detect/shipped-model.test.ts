import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FloatAutoencoderScorer } from '../../src/detect/float-scorer.js';
import { evaluate, Int8AutoencoderScorer, windowRecording } from '../../src/detect/index.js';
import { parseScenario, scenarioRecording } from '../../src/sim/index.js';

const dir = fileURLToPath(new URL('../../models/motor-vib', import.meta.url));

describe('shipped model models/motor-vib', () => {
  it('still matches its hash and the feature code: it separates a bearing fault from healthy running', async () => {
    const scorer = await FloatAutoencoderScorer.fromDir(dir);
    const sc = scorer.loaded.sidecar;
    const s = parseScenario({
      name: 'check',
      seed: 77,
      durationS: 120,
      faults: [{ kind: 'bearing-outer-race', onsetS: 60, rampS: 0, severity: 'moderate' }],
    });
    const set = windowRecording(
      scenarioRecording(s, ['vib.x', 'vib.y', 'vib.z']).recording,
      sc.features,
      sc.checks,
    );
    // The shipped int8 conversion (what the gateway runs by default) must do as well as the float model.
    const int8 = await Int8AutoencoderScorer.open(dir);
    const r = await evaluate(set, [scorer, int8]);
    scorer.dispose();
    int8.dispose();
    for (const s of r.scorers) {
      expect(s.auc, s.scorer).toBeGreaterThanOrEqual(0.98);
      expect(s.falseAlarms.machine, s.scorer).toBe(0);
    }
  }, 30_000);
});
