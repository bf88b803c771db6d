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
  /** Every alert raised, in order (`first` kept for readers of earlier reports: the same list). */
  alerts: { machine: number; sensor: number; all: Alert[]; first: Alert[] };
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
  const e = new Evaluator(scorers, o);
  await e.add(set);
  return e.finish();
}

interface ScorerState {
  scorer: WindowScorer;
  detector: StreamDetector;
  scores: number[];
  alerts: { w: number; alert: Alert }[];
  ms: number;
}

/** What the metrics need of a window, kept after its features are gone. */
interface Labels {
  severity: number[];
  fault: string[];
  sensorFault: string[];
  sensorFaultFull: boolean[];
  flagged: boolean[];
  end: number[];
}

/**
 * Evaluation over data that comes in chunks (windowed pieces of one long recording, in time order), so
 * a day of 1 kHz data never has to sit in memory at once.
 */
export class Evaluator {
  private readonly o: EvalOptions;
  private readonly positiveFrom: number;
  private readonly states: ScorerState[];
  private readonly l: Labels = {
    severity: [],
    fault: [],
    sensorFault: [],
    sensorFaultFull: [],
    flagged: [],
    end: [],
  };
  private hopS = 0;
  private sensorName: string | null = null;

  constructor(scorers: WindowScorer[], o: EvalOptions = {}) {
    this.o = o;
    this.positiveFrom = o.positiveFrom ?? 0.5;
    this.states = scorers.map((scorer) => ({
      scorer,
      detector: null as unknown as StreamDetector,
      scores: [],
      alerts: [],
      ms: 0,
    }));
  }

  async add(set: WindowSet): Promise<void> {
    this.hopS = set.hopS;
    if (this.sensorName === null) {
      this.sensorName = this.o.sensor ?? [...new Set(set.checks.map((c) => c.sensor))].join('+');
      for (const st of this.states) {
        st.detector = new StreamDetector({
          board: this.o.board ?? 'eval',
          sensor: this.sensorName,
          scorer: st.scorer,
          debounce: this.o.debounce ?? DEFAULT_DEBOUNCE,
          hysteresis: this.o.hysteresis ?? DEFAULT_HYSTERESIS,
          now: () => 0,
        });
      }
    }
    const base = this.l.severity.length;
    const n = set.features.length;
    for (let w = 0; w < n; w++) {
      this.l.severity.push(set.severity[w]!);
      this.l.fault.push(set.fault[w]!);
      this.l.sensorFault.push(set.sensorFault[w]!);
      this.l.sensorFaultFull.push(set.sensorFaultFull[w]!);
      this.l.flagged.push(set.verdicts[w] !== null);
      this.l.end.push(set.end[w]!);
    }
    const batch = this.o.batch ?? 256;
    // Only windows that pass the sensor checks are scored, as in the live pipeline.
    const scored: number[] = [];
    for (let w = 0; w < n; w++) if (!set.verdicts[w]) scored.push(w);
    for (const st of this.states) {
      const scores = new Float32Array(n).fill(Number.NaN);
      const t0 = performance.now();
      for (let i = 0; i < scored.length; i += batch) {
        const idx = scored.slice(i, i + batch);
        const s = await st.scorer.scoreBatch(idx.map((w) => set.features[w]!));
        for (let j = 0; j < idx.length; j++) scores[idx[j]!] = s[j]!;
      }
      st.ms += performance.now() - t0;
      for (let w = 0; w < n; w++) {
        st.scores.push(scores[w]!);
        const win = { start: set.start[w]!, end: set.end[w]! };
        const v = set.verdicts[w];
        const d = v ? st.detector.sensorWindow(win, v) : st.detector.scoredWindow(win, scores[w]!);
        if (d.alert) {
          d.alert.ts = win.end;
          st.alerts.push({ w: base + w, alert: d.alert });
        }
      }
    }
  }

  finish(): EvalReport {
    const l = this.l;
    const n = l.severity.length;
    let positive = 0;
    let normal = 0;
    let sensorLabelled = 0;
    let sensorFlagged = 0;
    for (let w = 0; w < n; w++) {
      if (l.sensorFault[w] !== 'none') sensorLabelled++;
      else if (l.severity[w]! >= this.positiveFrom) positive++;
      else if (l.severity[w] === 0) normal++;
      if (l.flagged[w]) sensorFlagged++;
    }
    return {
      positiveFrom: this.positiveFrom,
      windows: {
        total: n,
        positive,
        normal,
        transition: n - positive - normal - sensorLabelled,
        sensorLabelled,
        sensorFlagged,
      },
      hopS: this.hopS,
      scorers: this.states.map((st) => this.report(st)),
    };
  }

  private report(st: ScorerState): ScorerReport {
    const l = this.l;
    const n = l.severity.length;
    const positiveFrom = this.positiveFrom;
    const aucScores: number[] = [];
    const aucLabels: boolean[] = [];
    let scoredCount = 0;
    for (let w = 0; w < n; w++) {
      if (l.flagged[w]) continue;
      scoredCount++;
      if (l.sensorFault[w] !== 'none') continue;
      const sev = l.severity[w]!;
      if (sev >= positiveFrom || sev === 0) {
        aucScores.push(st.scores[w]!);
        aucLabels.push(sev >= positiveFrom);
      }
    }
    const conf = confusionAt(aucScores, aucLabels, st.scorer.threshold);
    const isNormal = (w: number) => l.severity[w] === 0 && l.sensorFault[w] === 'none';
    let normalWindows = 0;
    for (let w = 0; w < n; w++) if (isNormal(w)) normalWindows++;
    const normalHours = (normalWindows * this.hopS) / 3600;
    const falseMachine = st.alerts.filter((a) => a.alert.kind === 'machine' && isNormal(a.w)).length;
    const falseSensor = st.alerts.filter((a) => a.alert.kind === 'sensor' && isNormal(a.w)).length;
    return {
      scorer: st.scorer.kind,
      id: st.scorer.id,
      hash: st.scorer.hash,
      threshold: st.scorer.threshold,
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
      detection: faultEpisodes(l, st.alerts, positiveFrom),
      sensorFaults: sensorFaultReport(l, st.scores, st.scorer.threshold, st.alerts),
      alerts: {
        machine: st.alerts.filter((a) => a.alert.kind === 'machine').length,
        sensor: st.alerts.filter((a) => a.alert.kind === 'sensor').length,
        all: st.alerts.map((a) => a.alert),
        first: st.alerts.slice(0, 20).map((a) => a.alert),
      },
      scoring: {
        windows: scoredCount,
        ms: st.ms,
        usPerWindow: scoredCount ? (st.ms * 1000) / scoredCount : 0,
      },
    };
  }
}

function faultEpisodes(
  set: Labels,
  alerts: { w: number; alert: Alert }[],
  positiveFrom: number,
): FaultEpisode[] {
  const out: FaultEpisode[] = [];
  const n = set.severity.length;
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
  set: Labels,
  scores: number[],
  threshold: number,
  alerts: { w: number; alert: Alert }[],
): ScorerReport['sensorFaults'] {
  let windows = 0;
  let asSensor = 0;
  let asMachine = 0;
  for (let w = 0; w < set.severity.length; w++) {
    if (!set.sensorFaultFull[w]) continue;
    windows++;
    if (set.flagged[w]) asSensor++;
    else if (scores[w]! > threshold) asMachine++;
  }
  let episodes = 0;
  let withSensor = 0;
  let withMachine = 0;
  const n = set.severity.length;
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
