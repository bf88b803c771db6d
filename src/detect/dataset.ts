import { TinygateError } from '../errors/index.js';
import type { ChannelMeta } from '../sensing/channels.js';
import { FeatureExtractor, type FeaturePipeline } from '../sensing/features.js';
import { pickColumns, type Recording } from '../sensing/recording.js';
import { checkWindow, type SensorVerdict } from './sensor-check.js';

/** Every window of a recording: features, sensor verdict, time range and labels. */
export interface WindowSet {
  pipeline: FeaturePipeline;
  checks: ChannelMeta[];
  features: Float32Array[];
  verdicts: (SensorVerdict | null)[];
  /** ms since the recording's t = 0, first and last sample of each window. */
  start: Float64Array;
  end: Float64Array;
  /** Machine fault severity at the window's last sample (0 without labels). */
  severity: Float32Array;
  fault: string[];
  /** Sensor fault label anywhere in the window ("none" when clean or unlabelled). */
  sensorFault: string[];
  /** True when the sensor fault label covers the window's first and last sample. */
  sensorFaultFull: boolean[];
  /** Seconds between window starts. */
  hopS: number;
}

/** Cut a recording into the pipeline's windows and compute everything per window. */
export function windowRecording(
  rec: Recording,
  pipeline: FeaturePipeline,
  checks: ChannelMeta[],
  onProgress?: (done: number, total: number) => void,
): WindowSet {
  const rel = Math.abs(rec.rateHz - pipeline.sampleRateHz) / pipeline.sampleRateHz;
  if (rel > 0.02) {
    throw new TinygateError(
      'DATA_RATE_MISMATCH',
      `${rec.file}: samples come at ${formatRate(rec.rateHz)}, the feature pipeline expects ${formatRate(pipeline.sampleRateHz)}`,
      { hint: 'Record or simulate at the rate the model was trained on.' },
    );
  }
  const names = pipeline.channels.map((c) => c.name);
  const cols = pickColumns(rec, names);
  cols.forEach((col, c) => {
    const bad = col.findIndex((v) => Number.isNaN(v));
    if (bad >= 0) {
      throw new TinygateError(
        'DATA_INVALID',
        `${rec.file}: line ${bad + 2}, column ${names[c]}: empty or not a number`,
        {
          hint: 'Every row needs a value for the channels the model reads; cut the rows before the sensor spoke.',
        },
      );
    }
  });
  const { size, hop } = pipeline.window;
  const n = rec.t.length;
  const count = n >= size ? Math.floor((n - size) / hop) + 1 : 0;
  const ex = new FeatureExtractor(pipeline);
  const severityCol = rec.columns.get('severity');
  const faultCol = rec.labels.get('fault');
  const sensorCol = rec.labels.get('sensor_fault');
  const out: WindowSet = {
    pipeline,
    checks,
    features: [],
    verdicts: [],
    start: new Float64Array(count),
    end: new Float64Array(count),
    severity: new Float32Array(count),
    fault: [],
    sensorFault: [],
    sensorFaultFull: [],
    hopS: hop / pipeline.sampleRateHz,
  };
  const scratch = new Float64Array(size);
  // A sensor-fault label counts only when it names a channel (or sensor) this pipeline reads.
  const relevant = new Map<string, string>();
  const relevantLabel = (label: string): string => {
    let r = relevant.get(label);
    if (r === undefined) {
      const parts = label === 'none' ? [] : label.split('+');
      const hit = parts.filter((p) => {
        const target = p.slice(p.indexOf(':') + 1);
        return checks.some((c) => c.name === target || c.sensor === target);
      });
      r = hit.length ? hit.join('+') : 'none';
      relevant.set(label, r);
    }
    return r;
  };
  for (let w = 0; w < count; w++) {
    const o = w * hop;
    const last = o + size - 1;
    out.features.push(ex.extract(cols, o));
    out.verdicts.push(checkWindow(cols, checks, o, size, undefined, scratch));
    out.start[w] = rec.t[o]! * 1000;
    out.end[w] = rec.t[last]! * 1000;
    out.severity[w] = severityCol ? severityCol[last]! : 0;
    out.fault.push(faultCol ? faultCol[last]! : 'none');
    let sf = 'none';
    if (sensorCol) {
      for (let i = o; i <= last; i++) {
        if (sensorCol[i] !== 'none' && relevantLabel(sensorCol[i]!) !== 'none') {
          sf = relevantLabel(sensorCol[i]!);
          break;
        }
      }
    }
    out.sensorFault.push(sf);
    out.sensorFaultFull.push(
      !!sensorCol && relevantLabel(sensorCol[o]!) !== 'none' && relevantLabel(sensorCol[last]!) !== 'none',
    );
    if (onProgress && w % 256 === 0) onProgress(w, count);
  }
  onProgress?.(count, count);
  return out;
}

/** Channel descriptions when a recording has no sidecar: resolution and motion as the data shows them. */
export function inferChecks(rec: Recording, names: string[], windowSize: number): ChannelMeta[] {
  return names.map((name, i) => {
    const col = pickColumns(rec, [name])[0]!;
    void i;
    let resolution = Number.POSITIVE_INFINITY;
    const m = Math.min(col.length, 20_000);
    for (let j = 1; j < m; j++) {
      const d = Math.abs(col[j]! - col[j - 1]!);
      if (d > 0 && d < resolution) resolution = d;
    }
    if (!Number.isFinite(resolution)) resolution = 1e-9;
    // Moving within a window: the typical in-window spread is several converter steps.
    let spread = 0;
    const windows = Math.max(1, Math.min(20, Math.floor(m / windowSize)));
    for (let w = 0; w < windows; w++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let j = w * windowSize; j < Math.min(m, (w + 1) * windowSize); j++) {
        lo = Math.min(lo, col[j]!);
        hi = Math.max(hi, col[j]!);
      }
      spread += (hi - lo) / windows;
    }
    return {
      name,
      sensor: name.split('.')[0]!,
      unit: '',
      plausible: [null, null],
      resolution,
      dynamic: spread > 8 * resolution,
    };
  });
}

/** A rate a person reads: "1000 Hz", or "one sample every 5 min (0.00333 Hz)" for slow data. */
export function formatRate(hz: number): string {
  if (hz >= 1) return `${Number(hz.toPrecision(6))} Hz`;
  const s = 1 / hz;
  const every =
    s >= 3600
      ? `${Number((s / 3600).toPrecision(4))} h`
      : s >= 60
        ? `${Number((s / 60).toPrecision(4))} min`
        : `${Number(s.toPrecision(4))} s`;
  return `one sample every ${every} (${Number(hz.toPrecision(3))} Hz)`;
}

/** A span of time a person reads: "45 s", "12.0 min", "3.5 h", "78.8 days". */
export function formatSpan(s: number): string {
  if (s >= 2 * 86_400) return `${(s / 86_400).toFixed(1)} days`;
  if (s >= 2 * 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 120) return `${(s / 60).toFixed(1)} min`;
  return `${Number(s.toPrecision(3))} s`;
}
