import type { ChannelMeta } from '../sensing/channels.js';
import { FeatureExtractor, type FeaturePipeline } from '../sensing/features.js';
import type { SampleWindow } from '../sensing/windower.js';
import type { Alert } from './alert.js';
import { type Decision, type DetectorOptions, type LearningState, StreamDetector } from './detector.js';
import type { WindowScorer } from './scorer.js';
import { checkWindow, type SensorVerdict } from './sensor-check.js';

export interface LiveDecision extends Decision {
  board: string;
  window: SampleWindow;
  /** null when the window failed the sensor check or lost samples, and was not scored. */
  score: number | null;
  /** The window's features when it was scored (what on-site learning keeps). */
  features: Float32Array | null;
  /** The channel whose sensor check failed in this window (null when none did). */
  faultyChannel: string | null;
  /** performance.now() when the decision was made (monotonic ms, for latency measurements). */
  decidedAt: number;
}

export interface LiveDetectionOptions {
  scorer: WindowScorer;
  pipeline: FeaturePipeline;
  checks: ChannelMeta[];
  onAlert: (alert: Alert) => void;
  onDecision?: (d: LiveDecision) => void;
  /** Most windows scored in one call (default 256). */
  maxBatch?: number;
  now?: () => number;
  detector?: Pick<DetectorOptions, 'debounce' | 'sensorDebounce' | 'hysteresis' | 'learning'>;
}

interface Pending {
  stream: Stream;
  window: SampleWindow;
  features: Float32Array | null;
  verdict: SensorVerdict | null;
}

interface Stream {
  board: string;
  detector: StreamDetector;
}

/**
 * Detection for many boards sharing one scorer: windows are checked and featurized as they arrive, then
 * scored together in one batch per turn of the event loop (so 32 boards cost one model call, not 32).
 */
export class LiveDetection {
  private o: LiveDetectionOptions;
  private readonly extractor: FeatureExtractor;
  private readonly streams = new Map<string, Stream>();
  private queue: Pending[] = [];
  private scheduled = false;
  private busy: Promise<void> = Promise.resolve();
  /** An operator's threshold for every stream, until the next restart (a new model brings its own). */
  private operatorThreshold: number | null = null;
  private readonly scratch: Float64Array;
  /** Windows scored so far, windows that failed sensor checks, and where the time went (ms). */
  scored = 0;
  flagged = 0;
  /** Windows not scored because samples were lost in them. */
  gaps = 0;
  readonly timing = { checksAndFeaturesMs: 0, scoringMs: 0, batches: 0 };

  constructor(o: LiveDetectionOptions) {
    this.o = o;
    this.extractor = new FeatureExtractor(o.pipeline);
    this.scratch = new Float64Array(o.pipeline.window.size);
  }

  /** Threshold learning of each stream that has one (board and sensor), as its detector reports it. */
  learning(): Array<{ board: string; sensor: string } & LearningState> {
    return [...this.streams.entries()].flatMap(([key, s]) => {
      if (!this.o.detector?.learning) return [];
      const [board, sensor] = key.split('\u0000') as [string, string];
      return [{ board, sensor, ...s.detector.learningState }];
    });
  }

  /**
   * From the next window on: another scorer and/or learning on or off. Every stream starts afresh (its
   * alarms and debounce history belonged to the model it had); windows already queued finish as they were.
   */
  restart(change: { scorer?: WindowScorer; learning?: DetectorOptions['learning'] }): void {
    this.o = {
      ...this.o,
      ...(change.scorer ? { scorer: change.scorer } : {}),
      ...(change.learning !== undefined
        ? { detector: { ...this.o.detector, learning: change.learning } }
        : {}),
    };
    this.streams.clear();
    this.operatorThreshold = null;
  }

  /** The threshold an operator set (null: the model's, or the learned one). */
  get thresholdOverride(): number | null {
    return this.operatorThreshold;
  }

  /** Every stream, and any that starts later, judges with `threshold` from its next window until a restart. */
  setThreshold(threshold: number): void {
    this.operatorThreshold = threshold;
    for (const s of this.streams.values()) s.detector.setThreshold(threshold);
  }

  /** Whether any stream of this detection is in a machine alarm now. */
  get inMachineAlarm(): boolean {
    return [...this.streams.values()].some((s) => s.detector.inMachineAlarm);
  }

  /** Hand over a window from a board's windower. */
  submit(board: string, sensor: string, window: SampleWindow): void {
    const key = `${board}\u0000${sensor}`;
    let stream = this.streams.get(key);
    if (!stream) {
      stream = {
        board,
        detector: new StreamDetector({
          board,
          sensor,
          scorer: this.o.scorer,
          ...this.o.detector,
          // Alerts are stamped on the clock the sample times come from (the session's monotonic epoch ms),
          // so an alert is never stamped before the end of its window; the wall clock can lag it by a ms.
          now: this.o.now ?? (() => Math.ceil(performance.timeOrigin + performance.now())),
        } as DetectorOptions),
      };
      if (this.operatorThreshold !== null) stream.detector.setThreshold(this.operatorThreshold);
      this.streams.set(key, stream);
    }
    const t0 = performance.now();
    const size = this.o.pipeline.window.size;
    const gap = (window.lostSamples ?? 0) > 0;
    const verdict = gap
      ? null
      : checkWindow(window.channels, this.o.checks, 0, size, undefined, this.scratch);
    const features = verdict || gap ? null : this.extractor.extract(window.channels);
    this.timing.checksAndFeaturesMs += performance.now() - t0;
    this.queue.push({ stream, window, features, verdict });
    if (this.queue.length >= (this.o.maxBatch ?? 256)) this.flushSoon(true);
    else this.flushSoon(false);
  }

  /** Resolves when everything submitted so far is decided. */
  async drain(): Promise<void> {
    while (this.queue.length || this.scheduled) {
      this.flushSoon(true);
      await this.busy;
    }
    await this.busy;
  }

  private flushSoon(now: boolean): void {
    if (this.scheduled && !now) return;
    this.scheduled = true;
    const run = () => {
      this.busy = this.busy.then(() => this.flush());
    };
    if (now) run();
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const toScore = batch.filter((p) => p.features);
    const t0 = performance.now();
    const scorer = this.o.scorer;
    const scores = toScore.length
      ? await scorer.scoreBatch(toScore.map((p) => p.features!))
      : new Float32Array(0);
    this.timing.scoringMs += performance.now() - t0;
    this.timing.batches++;
    let k = 0;
    for (const p of batch) {
      const win = { start: p.window.start, end: p.window.end };
      let d: Decision;
      let score: number | null = null;
      if ((p.window.lostSamples ?? 0) > 0) {
        this.gaps++;
        d = p.stream.detector.dataQualityWindow(win, p.window.lostSamples!);
      } else if (p.verdict) {
        this.flagged++;
        d = p.stream.detector.sensorWindow(win, p.verdict);
      } else {
        score = scores[k++]!;
        this.scored++;
        d = p.stream.detector.scoredWindow(win, score);
      }
      if (d.alert) this.o.onAlert(d.alert);
      this.o.onDecision?.({
        ...d,
        board: p.stream.board,
        window: p.window,
        score,
        features: score === null ? null : p.features,
        faultyChannel: p.verdict?.channel ?? null,
        decidedAt: performance.now(),
      });
    }
  }
}
