// A streaming anomaly detector as NAB runs them and as a gateway needs: it learns during a probationary
// period, keeps adapting after it, and only ever sees the past. Each window's features (and their context over
// many windows) are compared with their rolling normal; each residual gets a tail probability against its own
// recent history, and the window's p-value is the smallest of them, Bonferroni-corrected. A window is
// anomalous when that p-value is below the threshold; alarms are debounced and held in time.
import { FeatureExtractor, type FeaturePipeline, featureNames } from '../../sensing/features.js';
import { type AlarmEvent, type AlarmOptions, TimeAlarm } from './alarm.js';
import { ContextFeatures, type ContextOptions, contextFeatureNames } from './context.js';
import { EwmaResiduals, type ResidualModel } from './residual.js';
import { TailEstimator } from './tail.js';

/** A threshold as a false-alarm rate: per scored window, or per day of normal data. */
export type RateThreshold = { perWindow: number } | { perDay: number };

export interface OnlineDetectorOptions {
  pipeline: FeaturePipeline;
  context?: Partial<ContextOptions>;
  /** Learn (no verdicts) until both are reached. */
  learning: { windows?: number; seconds?: number };
  /** Half-life of the rolling normal, in seconds. */
  halfLifeS: number;
  /** How far back each residual's tail history reaches, in seconds... */
  calibrationS: number;
  /** ...and in windows at least. */
  calibrationWindows?: number;
  threshold: RateThreshold;
  alarm?: Partial<AlarmOptions>;
  /** The model of normal; rolling z-scores when absent. */
  model?: ResidualModel;
}

export type OnlineVerdict = 'learning' | 'normal' | 'anomaly';

export interface OnlineDecision {
  /** Time of the window's last sample, seconds. */
  tS: number;
  verdict: OnlineVerdict;
  /** Probability of a window at least this unusual under recent normal (1 while learning). */
  p: number;
  /** −log10 p: the score to plot against −log10 of the threshold. */
  surprise: number;
  /** The feature that made the window unusual. */
  worst: string;
  alarm: AlarmEvent;
}

export class OnlineDetector {
  readonly names: string[];
  readonly pThreshold: number;
  private readonly options: OnlineDetectorOptions;
  private readonly extractor: FeatureExtractor;
  private readonly contexts: ContextFeatures[];
  private readonly model: ResidualModel;
  private readonly tails: TailEstimator[];
  private readonly alarm: TimeAlarm;
  private readonly buffers: Float64Array[];
  private readonly features: Float32Array<ArrayBuffer>;
  /** Features (window and context) before the model's extra residuals. */
  readonly featureCount: number;
  private readonly residual: Float64Array;
  private samples = 0;
  private windows = 0;
  private firstS = Number.NaN;
  private lastWindowS = Number.NaN;

  constructor(options: OnlineDetectorOptions) {
    this.options = options;
    const p = options.pipeline;
    const intervalS = 1 / p.sampleRateHz;
    this.extractor = new FeatureExtractor(p);
    this.contexts = p.channels.map(() => new ContextFeatures(p.window.size, intervalS, options.context));
    const learningWindows = options.learning.windows ?? 0;
    this.model = options.model ?? new EwmaResiduals(options.halfLifeS, Math.max(10, learningWindows));
    this.names = [
      ...featureNames(p),
      ...p.channels.flatMap((c, i) => contextFeatureNames(c.name, this.contexts[i]!.options)),
      ...this.model.extraNames,
    ];
    const n = this.names.length;
    this.featureCount = n - this.model.extraNames.length;
    this.tails = this.names.map(
      () => new TailEstimator({ spanS: options.calibrationS, minValues: options.calibrationWindows ?? 0 }),
    );
    this.alarm = new TimeAlarm(options.alarm);
    this.buffers = p.channels.map(() => new Float64Array(p.window.size));
    this.features = new Float32Array(this.featureCount);
    this.residual = new Float64Array(n);
    const t = options.threshold;
    this.pThreshold = 'perWindow' in t ? t.perWindow : (t.perDay * p.window.hop) / p.sampleRateHz / 86_400;
  }

  /** True while the detector is still learning what normal is. */
  get learning(): boolean {
    const l = this.options.learning;
    const spanS = this.lastWindowS - this.firstS;
    return this.windows < (l.windows ?? 0) || !(spanS >= (l.seconds ?? 0));
  }

  /**
   * True when the model of normal wants (re)training before the next sample: at the end of learning and then
   * as it asks. The caller awaits `maintain()` (training may take seconds; a gateway runs it off the hot path).
   */
  get maintenanceDue(): boolean {
    return (
      !!this.model.trainingDue && this.windows >= (this.options.learning.windows ?? 0) && !this.learningNext()
    );
  }

  /** Trains the model of normal on what it has seen and restarts its extra residuals' tail histories. */
  async maintain(): Promise<void> {
    if (!this.model.train) return;
    await this.model.train();
    const fresh = this.model.recalibration ?? [];
    for (let i = this.featureCount; i < this.names.length; i++) {
      const tail = this.tails[i]!;
      tail.clear();
      for (const v of fresh) tail.add(v, this.lastWindowS);
    }
  }

  // Whether the next window will still be a learning one (time-based learning may outlast the window count).
  private learningNext(): boolean {
    const l = this.options.learning;
    return this.windows < (l.windows ?? 0) || !(this.lastWindowS - this.firstS >= (l.seconds ?? 0));
  }

  /** One sample per channel at time tS (seconds); a decision whenever a window completes. */
  push(tS: number, values: ArrayLike<number>): OnlineDecision | null {
    const p = this.options.pipeline;
    const w = p.window.size;
    if (Number.isNaN(this.firstS)) this.firstS = tS;
    // Context features follow every sample; the window's own features are computed when a window completes.
    const ctxStart = this.extractor.size;
    let k = ctxStart;
    for (let c = 0; c < this.buffers.length; c++) {
      const b = this.buffers[c]!;
      b.copyWithin(0, 1);
      b[w - 1] = values[c]!;
      k = this.contexts[c]!.push(values[c]!, tS, this.features, k);
    }
    this.samples++;
    if (this.samples < w || (this.samples - w) % p.window.hop !== 0) return null;
    this.extractor.extract(this.buffers, 0, this.features);
    return this.judge(tS);
  }

  private judge(tS: number): OnlineDecision {
    const dtS = Number.isNaN(this.lastWindowS) ? 0 : tS - this.lastWindowS;
    const learning = this.learning;
    this.model.residuals(this.features, this.residual);
    let minP = 1;
    let worst = 0;
    // Residuals of the first windows (the normal barely known) would only pollute the tail histories.
    const calibrate = this.windows >= Math.min(50, (this.options.learning.windows ?? 0) / 4);
    for (let i = 0; i < this.residual.length; i++) {
      const r = this.residual[i]!;
      if (!learning) {
        const pi = this.tails[i]!.pValue(r);
        if (pi < minP) {
          minP = pi;
          worst = i;
        }
      }
      if (calibrate) this.tails[i]!.add(r, tS);
    }
    this.model.learn(this.features, dtS);
    this.windows++;
    this.lastWindowS = tS;
    if (learning) {
      return { tS, verdict: 'learning', p: 1, surprise: 0, worst: '', alarm: null };
    }
    const pWindow = Math.min(1, minP * this.residual.length);
    const anomalous = pWindow < this.pThreshold;
    return {
      tS,
      verdict: anomalous ? 'anomaly' : 'normal',
      p: pWindow,
      surprise: -Math.log10(pWindow),
      worst: this.names[worst]!,
      alarm: this.alarm.update(tS, anomalous, -Math.log10(pWindow)),
    };
  }
}
