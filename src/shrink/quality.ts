import type { WindowSet } from '../detect/dataset.js';
import { Evaluator } from '../detect/evaluate.js';
import { rocAuc } from '../detect/metrics.js';
import type { WindowScorer } from '../detect/scorer.js';

/** Labelled data to judge candidates on: each recording as its windowed chunks, in time order. */
export interface EvalRecording {
  name: string;
  chunks: WindowSet[];
}

export interface Quality {
  /** ROC AUC per machine-fault type: its windows (severity > 0) against every normal window. */
  auc: Record<string, number>;
  /** Machine alerts raised on normal windows, with the scorer's own threshold and the live debounce. */
  falseAlarms: number;
  normalHours: number;
  /** The false alerts and normal hours of each recording, by its name. */
  byRecording: Record<string, { falseAlarms: number; normalHours: number }>;
}

/**
 * A scorer's detection quality on labelled recordings, measured as `tinygate eval` does (sensor-checked
 * windows only, the live detector's debounce for alerts), plus one AUC per fault type so a student that
 * loses one fault cannot hide behind the others.
 */
export async function measureQuality(scorer: WindowScorer, data: EvalRecording[]): Promise<Quality> {
  const normal: number[] = [];
  const byFault = new Map<string, number[]>();
  let falseAlarms = 0;
  let normalHours = 0;
  const byRecording: Quality['byRecording'] = {};
  for (const rec of data) {
    const captured: number[] = [];
    const capture: WindowScorer = {
      id: scorer.id,
      hash: scorer.hash,
      kind: scorer.kind,
      threshold: scorer.threshold,
      scoreBatch: async (f) => {
        const s = await scorer.scoreBatch(f);
        for (const v of s) captured.push(v);
        return s;
      },
    };
    const e = new Evaluator([capture], { board: rec.name });
    for (const set of rec.chunks) {
      const from = captured.length;
      await e.add(set);
      // The evaluator scores exactly the windows that pass the sensor checks, in order.
      let k = from;
      for (let w = 0; w < set.features.length; w++) {
        if (set.verdicts[w]) continue;
        const s = captured[k++]!;
        if (set.sensorFault[w] !== 'none') continue;
        if (set.severity[w] === 0) normal.push(s);
        else {
          const list = byFault.get(set.fault[w]!) ?? [];
          list.push(s);
          byFault.set(set.fault[w]!, list);
        }
      }
    }
    const r = e.finish().scorers[0]!;
    falseAlarms += r.falseAlarms.machine;
    normalHours += r.falseAlarms.normalHours;
    byRecording[rec.name] = { falseAlarms: r.falseAlarms.machine, normalHours: r.falseAlarms.normalHours };
  }
  const auc: Record<string, number> = {};
  for (const [fault, pos] of [...byFault].sort((a, b) => a[0].localeCompare(b[0]))) {
    auc[fault] = rocAuc([...pos, ...normal], [...pos.map(() => true), ...normal.map(() => false)]);
  }
  return { auc, falseAlarms, normalHours, byRecording };
}
