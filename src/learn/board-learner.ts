import { EventEmitter } from 'node:events';
import type { BoardProfile } from '../boards/index.js';
import type { ChannelMeta } from '../sensing/channels.js';
import type { FeaturePipeline } from '../sensing/features.js';
import { learnInWorker } from './learn-in-worker.js';
import type { LearnedModel } from './learn-model.js';
import { minLearnWindows } from './learn-sizes.js';
import type { ModelVersions } from './model-versions.js';

/** Where a board's learning stands, for /health, MQTT state, the dashboard and Home Assistant. */
export interface LearnStatus {
  /**
   * `learning`: keeping normal windows (no machine alarms until the threshold is set from the first of
   * them); `training`: its model is being made; `watching`.
   */
  state: 'learning' | 'training' | 'watching';
  windows: number;
  /** Windows and stream seconds learning needs before it trains. */
  needWindows: number;
  seconds: number;
  needSeconds: number;
  /** 0–1 over the whole of learning and training. */
  progress: number;
  /** The learned model version in force (null: the configured model). */
  version: number | null;
  /** What the last learning ended with. */
  last: LearnOutcome | null;
}

export interface LearnOutcome {
  ok: boolean;
  /** The new version when one was written (also when it failed the gate and stayed out). */
  version: number | null;
  message: string;
  at: string;
}

export interface BoardLearnerOptions {
  board: string;
  versions: ModelVersions;
  pipeline: FeaturePipeline;
  checks: ChannelMeta[];
  /** The model new ones start from (the configured one), if any. */
  warmStart: string | null;
  seconds: number;
  falseAlarmsPerDay: number;
  debounce: { k: number; n: number };
  /** The board's profile when the model will run on the board (its int8 must fit). */
  profile: BoardProfile | null;
  /** Whether the board starts out learning (no learned version in force yet). */
  learning: boolean;
}

export interface BoardLearnerEvents {
  /** A learned model passed its gate: the caller puts it in force. */
  learned: [{ version: number; model: LearnedModel }];
  outcome: [LearnOutcome];
}

/** Most windows kept for one learning: bounds memory on a long learning period (the latest are kept). */
const MAX_WINDOWS = 20_000;

/**
 * One board's on-site learning: it keeps the normal windows the detector scored while learning, then has
 * a worker thread learn the machine's model from them; a model that passes its gate becomes the next
 * version. The board keeps being watched (with the model in force) while the worker runs.
 */
export class BoardLearner extends EventEmitter<BoardLearnerEvents> {
  private features: Float32Array[] = [];
  private ends: number[] = [];
  private stage: LearnStatus['state'];
  private epoch = 0;
  private epochs = 1;
  private last: LearnOutcome | null = null;
  private running: { cancel: () => Promise<void> } | null = null;
  readonly needWindows = minLearnWindows();

  constructor(readonly o: BoardLearnerOptions) {
    super();
    this.stage = o.learning ? 'learning' : 'watching';
  }

  get state(): LearnStatus['state'] {
    return this.stage;
  }

  status(): LearnStatus {
    const n = this.ends.length;
    const seconds = n > 1 ? (this.ends[n - 1]! - this.ends[0]!) / 1000 : 0;
    const collect = Math.min(1, n / this.needWindows, this.o.seconds > 0 ? seconds / this.o.seconds : 1);
    const progress =
      this.stage === 'watching'
        ? 1
        : this.stage === 'learning'
          ? 0.8 * collect
          : 0.8 + (0.2 * this.epoch) / this.epochs;
    return {
      state: this.stage,
      windows: n,
      needWindows: this.needWindows,
      seconds,
      needSeconds: this.o.seconds,
      progress,
      version: this.o.versions.active()?.version ?? null,
      last: this.last,
    };
  }

  /** Start learning afresh (a re-learn command): windows collected so far are dropped. */
  restart(): void {
    this.features = [];
    this.ends = [];
    this.stage = 'learning';
  }

  /** Enough windows and stream time kept to learn a model from. */
  ready(): boolean {
    const s = this.status();
    return this.stage === 'learning' && s.windows >= this.needWindows && s.seconds >= this.o.seconds;
  }

  /** Learning ends without a model (the machine alarmed while it learned); says why. */
  abort(why: string): void {
    if (this.stage !== 'learning') return;
    this.stopLearning();
    this.last = this.outcome(false, null, why);
    this.emit('outcome', this.last);
  }

  /** Stop collecting (another model was put in force): the board goes on watching. */
  stopLearning(): void {
    if (this.stage !== 'learning') return;
    this.features = [];
    this.ends = [];
    this.stage = 'watching';
  }

  /** A normal window the detector scored while learning. */
  collect(features: Float32Array, windowEnd: number): void {
    if (this.stage !== 'learning') return;
    this.features.push(features);
    this.ends.push(windowEnd);
    if (this.features.length > MAX_WINDOWS) {
      this.features.shift();
      this.ends.shift();
    }
  }

  /** The detector finished learning its threshold: train the machine's model from what was kept. */
  async train(): Promise<LearnOutcome> {
    if (this.stage !== 'learning') throw new Error(`board ${this.o.board} is not learning`);
    this.stage = 'training';
    this.epoch = 0;
    const { version, dir } = this.o.versions.next();
    const job = learnInWorker(
      {
        board: this.o.board,
        features: this.features,
        span: { start: this.ends[0] ?? 0, end: this.ends[this.ends.length - 1] ?? 0 },
        pipeline: this.o.pipeline,
        checks: this.o.checks,
        warmStart: this.o.warmStart,
        out: dir,
        id: `${this.o.board}-v${version}`,
        falseAlarmsPerDay: this.o.falseAlarmsPerDay,
        debounce: this.o.debounce,
        profile: this.o.profile,
      },
      (p) => {
        if (p.stage === 'training') {
          this.epoch = p.epoch;
          this.epochs = p.epochs;
        }
      },
    );
    this.running = job;
    let outcome: LearnOutcome;
    try {
      const model = await job.result;
      if (model.gate.passed) {
        outcome = this.outcome(
          true,
          version,
          `version ${version} learned from ${this.features.length} windows: ${model.gate.reason}`,
        );
        this.emit('learned', { version, model });
      } else {
        outcome = this.outcome(false, version, `version ${version} not put in force: ${model.gate.reason}`);
      }
    } catch (err) {
      outcome = this.outcome(false, null, `learning failed: ${(err as Error).message}`);
    } finally {
      this.running = null;
      this.features = [];
      this.ends = [];
      this.stage = 'watching';
    }
    this.last = outcome;
    this.emit('outcome', outcome);
    return outcome;
  }

  async stop(): Promise<void> {
    await this.running?.cancel();
  }

  private outcome(ok: boolean, version: number | null, message: string): LearnOutcome {
    return { ok, version, message, at: new Date().toISOString() };
  }
}
