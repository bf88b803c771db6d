import { ulid } from 'ulid';
import type { Alert } from './alert.js';
import { tailQuantile } from './online/tail.js';
import type { SensorVerdict } from './sensor-check.js';

export interface DebounceOptions {
  /** Raise when at least k of the last n scored windows are above the threshold. */
  k: number;
  n: number;
}

export interface DetectorOptions {
  board: string;
  /** Sensor or channel group the windows come from (alerts name it). */
  sensor: string;
  /** The scorer's identity and threshold; `kind: 'baseline'` makes alerts carry `model: null`. */
  scorer: { id: string; hash: string; kind: string; threshold: number };
  /** Machine alerts: k of n. Default 3 of 5. */
  debounce?: DebounceOptions;
  /** Sensor alerts: k of n sensor-flagged windows. Default 2 of 3. */
  sensorDebounce?: DebounceOptions;
  /** An alarm clears after this many windows in a row score below clearRatio × threshold. Default 0.8 and 5. */
  hysteresis?: { clearRatio: number; clearWindows: number };
  /** Epoch ms clock for `Alert.ts`. */
  now?: () => number;
  /** At most one data-quality alert per this many ms (they come in bursts while a gateway is busy). */
  dataQualityEveryMs?: number;
  /**
   * Learn this machine's threshold on site: score its first `seconds` of windows (at least `minWindows`)
   * without alarms, then set the threshold where a window exceeds it `falseAlarmsPerDay` times a day.
   */
  learning?: { seconds: number; falseAlarmsPerDay: number; minWindows: number } | null;
}

/** Where a stream's threshold learning stands. */
export interface LearningState {
  done: boolean;
  windows: number;
  seconds: number;
  /** The learned threshold once done; the model's own until then. */
  threshold: number;
}

export const DEFAULT_DEBOUNCE: DebounceOptions = { k: 3, n: 5 };
export const DEFAULT_SENSOR_DEBOUNCE: DebounceOptions = { k: 2, n: 3 };
export const DEFAULT_HYSTERESIS = { clearRatio: 0.8, clearWindows: 5 };

/** What the detector made of one window. */
export interface Decision {
  /**
   * `sensor`: the window showed a sensor problem and was not scored; `data-quality`: samples in it were lost
   * on the way, so it was not scored either; `machine`/`normal` by score; `learning`: scored while the
   * stream learns its threshold, never alarming.
   */
  verdict: 'machine' | 'normal' | 'sensor' | 'data-quality' | 'learning';
  alert: Alert | null;
  /** True while a machine alarm is active (raised and not yet cleared). */
  machineAlarm: boolean;
  sensorAlarm: boolean;
}

/**
 * The per-stream state machine: k-of-n debounce so one odd window never alerts, hysteresis so a score
 * hovering at the threshold does not flap, and sensor problems kept apart from machine anomalies (a
 * sensor-flagged window neither counts towards nor clears a machine alarm).
 */
export class StreamDetector {
  readonly options: Required<Omit<DetectorOptions, 'now'>> & { now: () => number };
  private machineHistory: boolean[] = [];
  private sensorHistory: boolean[] = [];
  private machineAlarm = false;
  private sensorAlarm = false;
  private below = 0;
  private clean = 0;
  private lostSamples = 0;
  private threshold: number;
  private readonly learned: number[] = [];
  private readonly learnedEnds: number[] = [];
  private learningDone: boolean;
  private lastDataQualityAlert = Number.NEGATIVE_INFINITY;

  constructor(options: DetectorOptions) {
    this.options = {
      debounce: DEFAULT_DEBOUNCE,
      sensorDebounce: DEFAULT_SENSOR_DEBOUNCE,
      hysteresis: DEFAULT_HYSTERESIS,
      now: Date.now,
      dataQualityEveryMs: 60_000,
      learning: null,
      ...options,
    };
    this.threshold = this.options.scorer.threshold;
    this.learningDone = !this.options.learning;
  }

  /** Threshold learning: windows and seconds so far, and the threshold in force. */
  get learningState(): LearningState {
    const n = this.learnedEnds.length;
    return {
      done: this.learningDone,
      windows: n,
      seconds: n > 1 ? (this.learnedEnds[n - 1]! - this.learnedEnds[0]!) / 1000 : 0,
      threshold: this.threshold,
    };
  }

  get inMachineAlarm(): boolean {
    return this.machineAlarm;
  }

  /** An operator's threshold, in force from the next window; the alarm state and debounce history stay. */
  setThreshold(threshold: number): void {
    this.threshold = threshold;
  }

  get inSensorAlarm(): boolean {
    return this.sensorAlarm;
  }

  /**
   * A window with samples lost on the way: never scored (a gap changes a window as a fault would), neither
   * counting towards nor clearing a machine alarm; reported, at most once per `dataQualityEveryMs`.
   */
  dataQualityWindow(window: { start: number; end: number }, lostSamples: number): Decision {
    this.lostSamples += lostSamples;
    let alert: Alert | null = null;
    const now = this.options.now();
    if (now - this.lastDataQualityAlert >= this.options.dataQualityEveryMs) {
      this.lastDataQualityAlert = now;
      alert = this.alert(
        'data-quality',
        this.options.sensor,
        this.lostSamples,
        0,
        window,
        `${this.lostSamples} samples lost on the way from ${this.options.board} (a stalled board or a busy gateway): windows with gaps are not scored`,
        false,
      );
      this.lostSamples = 0;
    }
    return { verdict: 'data-quality', alert, machineAlarm: this.machineAlarm, sensorAlarm: this.sensorAlarm };
  }

  /** A window whose sensor check failed. */
  sensorWindow(window: { start: number; end: number }, v: SensorVerdict): Decision {
    push(this.sensorHistory, true, this.options.sensorDebounce.n);
    this.clean = 0;
    let alert: Alert | null = null;
    if (!this.sensorAlarm && count(this.sensorHistory) >= this.options.sensorDebounce.k) {
      this.sensorAlarm = true;
      alert = this.alert(
        'sensor',
        v.sensor,
        v.score,
        v.threshold,
        window,
        `${v.message} on ${this.options.board}`,
        false,
      );
    }
    return { verdict: 'sensor', alert, machineAlarm: this.machineAlarm, sensorAlarm: this.sensorAlarm };
  }

  /** A window that passed the sensor check, with its anomaly score. */
  scoredWindow(window: { start: number; end: number }, score: number): Decision {
    const o = this.options;
    push(this.sensorHistory, false, o.sensorDebounce.n);
    if (this.sensorAlarm && ++this.clean >= o.hysteresis.clearWindows) this.sensorAlarm = false;
    if (!this.learningDone) return this.learnWindow(window, score);
    const threshold = this.threshold;
    const above = score > threshold;
    push(this.machineHistory, above, o.debounce.n);
    let alert: Alert | null = null;
    if (this.machineAlarm) {
      this.below = score < o.hysteresis.clearRatio * threshold ? this.below + 1 : 0;
      if (this.below >= o.hysteresis.clearWindows) {
        this.machineAlarm = false;
        this.machineHistory = [];
      }
    } else if (count(this.machineHistory) >= o.debounce.k) {
      this.machineAlarm = true;
      this.below = 0;
      const ratio = threshold > 0 ? score / threshold : Number.POSITIVE_INFINITY;
      alert = this.alert(
        'machine',
        o.sensor,
        score,
        threshold,
        window,
        `anomaly score ${ratio.toFixed(1)}× the threshold on ${o.board} ${o.sensor}`,
        true,
      );
    }
    return {
      verdict: above ? 'machine' : 'normal',
      alert,
      machineAlarm: this.machineAlarm,
      sensorAlarm: this.sensorAlarm,
    };
  }

  // While learning: keep the score; once enough time and windows are seen, set the threshold from them.
  private learnWindow(window: { start: number; end: number }, score: number): Decision {
    const l = this.options.learning!;
    this.learned.push(score);
    this.learnedEnds.push(window.end);
    const n = this.learned.length;
    const spanS = (window.end - this.learnedEnds[0]!) / 1000;
    if (spanS >= l.seconds && n >= l.minWindows) {
      // Windows a day from their own spacing, so the rate means the same at any hop.
      const perWindowS = spanS / (n - 1);
      const p = Math.min(0.5, (l.falseAlarmsPerDay * perWindowS) / 86_400);
      const t = tailQuantile(this.learned, p);
      // Too few scores to tell so rare a rate: keep learning.
      if (Number.isFinite(t)) {
        this.threshold = t;
        this.learningDone = true;
      }
    }
    return { verdict: 'learning', alert: null, machineAlarm: false, sensorAlarm: this.sensorAlarm };
  }

  private alert(
    kind: Alert['kind'],
    sensor: string,
    score: number,
    threshold: number,
    window: { start: number; end: number },
    message: string,
    withModel: boolean,
  ): Alert {
    const s = this.options.scorer;
    const ts = this.options.now();
    return {
      id: ulid(ts),
      board: this.options.board,
      sensor,
      kind,
      score,
      threshold,
      window: { start: window.start, end: window.end },
      model: withModel && s.kind !== 'baseline' ? { id: s.id, hash: s.hash } : null,
      ts,
      message,
    };
  }
}

function push(h: boolean[], v: boolean, n: number): void {
  h.push(v);
  if (h.length > n) h.shift();
}

function count(h: boolean[]): number {
  let c = 0;
  for (const v of h) if (v) c++;
  return c;
}
