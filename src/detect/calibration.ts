import { readFileSync } from 'node:fs';
import type { Recording } from '../sensing/recording.js';
import { readRecording } from '../sensing/recording.js';
import { windowRecording } from './dataset.js';
import { loadSidecar } from './model-dir.js';

/**
 * The model's own inputs from a raw recording: windows cut and featurized by the model's pipeline,
 * normalized as in training, keeping only windows whose sensors look sane. Calibration and evaluation
 * of the int8 conversion use these.
 */
export function modelInputsFromRecording(
  modelDir: string,
  csv: string,
  onProgress?: (done: number, total: number) => void,
): { samples: Float32Array[]; labels: boolean[] } {
  const { sidecar } = loadSidecar(modelDir);
  const rec: Recording = readRecording(csv);
  const set = windowRecording(rec, sidecar.features, sidecar.checks, onProgress);
  const mean = sidecar.normalization.mean;
  const std = sidecar.normalization.std;
  const samples: Float32Array[] = [];
  const labels: boolean[] = [];
  set.features.forEach((f, w) => {
    if (set.verdicts[w]) return;
    samples.push(Float32Array.from(f, (v, i) => (v - mean[i]!) / std[i]!));
    labels.push(set.severity[w]! >= 0.5);
  });
  return { samples, labels };
}

/** True when a CSV looks like a recording for this model (its header names the model's channels). */
export function isRecordingFor(modelDir: string, csv: string): boolean {
  try {
    const { sidecar } = loadSidecar(modelDir);
    const header = readFileSync(csv, 'utf8').slice(0, 4096).split(/\r?\n/)[0]!.split(',');
    return sidecar.features.channels.every((c) => header.includes(c.name));
  } catch {
    return false;
  }
}
