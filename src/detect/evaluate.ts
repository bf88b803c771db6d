import type { Alert } from './alert.js';
import type { WindowSet } from './dataset.js';
import { DEFAULT_DEBOUNCE, DEFAULT_HYSTERESIS, type DebounceOptions, StreamDetector } from './detector.js';
import { confusionAt, rocAuc } from './metrics.js';
import type { ScorerKind, WindowScorer } from './scorer.js';

export interface EvalOptions {
  /** Severity from which a window counts as anomalous (0…1; default 0.5, "moderate"). */
  positiveFrom?: number;
  debounce?: DebounceOptions;
  hysteresis?: { clearRatio: number; clearWindows: number };
  board?: string;
  sensor?: string;
  /** Scoring batch size (windows per scoreBatch call). */
  batch?: number;
}

export interface FaultEpisode {
  fault: string;
  /** Seconds from the data's start: first window with any severity, first at positiveFrom, first alert. */
  onsetS: number;
  moderateS: number | null;
  alertS: number | null;
  /** Windows from reaching `positiveFrom` to the alert (negative: raised before it got there). */
  delayWindows: number | null;
}

export interface ScorerReport {
  scorer: ScorerKind;
  id: string;
  hash: string;
  threshold: number;
  /** Windows: anomalous (severity ≥ positiveFrom) vs normal (severity 0), both without sensor faults. */
  auc: number;
  precision: number;
  recall: number;
  f1: number;
  falseAlarms: {
    machine: number;
    sensor: number;
    normalHours: number;
    machinePerHour: number;
    machinePer24h: number;
  };
  detection: FaultEpisode[];
  sensorFaults: {
    /** Windows wholly inside a labelled sensor fault, and what became of them. */
    windows: number;
    asSensor: number;
    asMachine: number;
    missed: number;
    /** asSensor / windows. */
    rate: number;
    episodes: number;
    episodesWithSensorAlert: number;
    episodesWithMachineAlert: number;
  };
  alerts: { machine: number; sensor: number; first: Alert[] };
  scoring: { windows: number; ms: number; usPerWindow: number };
}

export interface EvalReport {
  positiveFrom: number;
  windows: {
    total: number;
    positive: number;
    normal: number;
    transition: number;
    sensorLabelled: number;
    sensorFlagged: number;
  };
  hopS: number;
  scorers: ScorerReport[];
}

/** Score a windowed recording with each scorer and measure it the same way. */
export async function evaluate(
  set: WindowSet,
  scorers: WindowScorer[],
  o: EvalOptions = {},
): Promise<EvalReport> {
  const positiveFrom = o.positiveFrom ?? 0.5;
  const n = set.features.length;
  const clean = (w: number) => set.sensorFault[w] === 'none';
  let positive = 0;
  let normal = 0;
  let sensorLabelled = 0;
  let sensorFlagged = 0;
  for (let w = 0; w < n; w++) {
    if (!clean(w)) sensorLabelled++;
    else if (set.severity[w]! >= positiveFrom) positive++;
    else if (set.severity[w] === 0) normal++;
    if (set.verdicts[w]) sensorFlagged++;
  }
  const reports: ScorerReport[] = [];
  for (const scorer of scorers) reports.push(await evaluateOne(set, scorer, o, positiveFrom));
  return {
    positiveFrom,
    windows: {
      total: n,
      positive,
      normal,
      transition: n - positive - normal - sensorLabelled,
      sensorLabelled,
      sensorFlagged,
    },
    hopS: set.hopS,
    scorers: reports,
  };
}

async function evaluateOne(
  set: WindowSet,
  scorer: WindowScorer,
  o: EvalOptions,
  positiveFrom: number,
): Promise<ScorerReport> {
  const n = set.features.length;
  const batch = o.batch ?? 256;
  // Only windows that pass the sensor checks are scored, as in the live pipeline.
  const scored: number[] = [];
  for (let w = 0; w < n; w++) if (!set.verdicts[w]) scored.push(w);
  const scores = new Float32Array(n).fill(Number.NaN);
  const t0 = performance.now();
  for (let i = 0; i < scored.length; i += batch) {
    const idx = scored.slice(i, i + batch);
    const s = await scorer.scoreBatch(idx.map((w) => set.features[w]!));
    idx.forEach((w, j) => {
      scores[w] = s[j]!;
    });
  }
  const ms = performance.now() - t0;

  const det = new StreamDetector({
    board: o.board ?? 'eval',
    sensor: o.sensor ?? [...new Set(set.checks.map((c) => c.sensor))].join('+'),
    scorer,
    debounce: o.debounce ?? DEFAULT_DEBOUNCE,
    hysteresis: o.hysteresis ?? DEFAULT_HYSTERESIS,
    now: () => 0,
  });
  const alerts: { w: number; alert: Alert }[] = [];
  for (let w = 0; w < n; w++) {
    const win = { start: set.start[w]!, end: set.end[w]! };
    const v = set.verdicts[w];
    const d = v ? det.sensorWindow(win, v) : det.scoredWindow(win, scores[w]!);
    if (d.alert) {
      d.alert.ts = win.end;
      alerts.push({ w, alert: d.alert });
    }
  }

  // Window-level separation on clean, scored windows.
  const aucScores: number[] = [];
  const aucLabels: boolean[] = [];
  for (const w of scored) {
    if (set.sensorFault[w] !== 'none') continue;
    const sev = set.severity[w]!;
    if (sev >= positiveFrom || sev === 0) {
      aucScores.push(scores[w]!);
      aucLabels.push(sev >= positiveFrom);
    }
  }
  const conf = confusionAt(aucScores, aucLabels, scorer.threshold);

  let normalWindows = 0;
  for (let w = 0; w < n; w++) if (set.severity[w] === 0 && set.sensorFault[w] === 'none') normalWindows++;
  const normalHours = (normalWindows * set.hopS) / 3600;
  const isNormal = (w: number) => set.severity[w] === 0 && set.sensorFault[w] === 'none';
  const falseMachine = alerts.filter((a) => a.alert.kind === 'machine' && isNormal(a.w)).length;
  const falseSensor = alerts.filter((a) => a.alert.kind === 'sensor' && isNormal(a.w)).length;

  return {
    scorer: scorer.kind,
    id: scorer.id,
    hash: scorer.hash,
    threshold: scorer.threshold,
    auc: rocAuc(aucScores, aucLabels),
    precision: conf.precision,
    recall: conf.recall,
    f1: conf.f1,
    falseAlarms: {
      machine: falseMachine,
      sensor: falseSensor,
      normalHours,
      machinePerHour: normalHours > 0 ? falseMachine / normalHours : Number.NaN,
      machinePer24h: normalHours > 0 ? (falseMachine / normalHours) * 24 : Number.NaN,
    },
    detection: faultEpisodes(set, alerts, positiveFrom),
    sensorFaults: sensorFaultReport(set, scores, scorer.threshold, alerts),
    alerts: {
      machine: alerts.filter((a) => a.alert.kind === 'machine').length,
      sensor: alerts.filter((a) => a.alert.kind === 'sensor').length,
      first: alerts.slice(0, 20).map((a) => a.alert),
    },
    scoring: { windows: scored.length, ms, usPerWindow: scored.length ? (ms * 1000) / scored.length : 0 },
  };
}

function faultEpisodes(
  set: WindowSet,
  alerts: { w: number; alert: Alert }[],
  positiveFrom: number,
): FaultEpisode[] {
  const out: FaultEpisode[] = [];
  const n = set.features.length;
  for (let w = 0; w < n; ) {
    if (set.severity[w]! <= 0) {
      w++;
      continue;
    }
    const first = w;
    while (w < n && set.severity[w]! > 0) w++;
    const last = w - 1;
    let mod: number | null = null;
    for (let i = first; i <= last; i++) {
      if (set.severity[i]! >= positiveFrom) {
        mod = i;
        break;
      }
    }
    const hit = alerts.find((a) => a.alert.kind === 'machine' && a.w >= first && a.w <= last);
    out.push({
      fault: set.fault[last] ?? 'unknown',
      onsetS: set.end[first]! / 1000,
      moderateS: mod === null ? null : set.end[mod]! / 1000,
      alertS: hit ? set.end[hit.w]! / 1000 : null,
      delayWindows: hit && mod !== null ? hit.w - mod : null,
    });
  }
  return out;
}

function sensorFaultReport(
  set: WindowSet,
  scores: Float32Array,
  threshold: number,
  alerts: { w: number; alert: Alert }[],
): ScorerReport['sensorFaults'] {
  let windows = 0;
  let asSensor = 0;
  let asMachine = 0;
  for (let w = 0; w < set.features.length; w++) {
    if (!set.sensorFaultFull[w]) continue;
    windows++;
    if (set.verdicts[w]) asSensor++;
    else if (scores[w]! > threshold) asMachine++;
  }
  let episodes = 0;
  let withSensor = 0;
  let withMachine = 0;
  const n = set.features.length;
  for (let w = 0; w < n; ) {
    if (set.sensorFault[w] === 'none') {
      w++;
      continue;
    }
    const first = w;
    while (w < n && set.sensorFault[w] !== 'none') w++;
    // Alerts up to a few windows after the fault ends still belong to it (debounce lag).
    const last = Math.min(n - 1, w + 2);
    episodes++;
    if (alerts.some((a) => a.alert.kind === 'sensor' && a.w >= first && a.w <= last)) withSensor++;
    if (alerts.some((a) => a.alert.kind === 'machine' && a.w >= first && a.w <= last)) withMachine++;
  }
  return {
    windows,
    asSensor,
    asMachine,
    missed: windows - asSensor - asMachine,
    rate: windows ? asSensor / windows : Number.NaN,
    episodes,
    episodesWithSensorAlert: withSensor,
    episodesWithMachineAlert: withMachine,
  };
}
