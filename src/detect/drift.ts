import { percentile } from './threshold.js';

export interface DriftOptions {
  /** How long the shift must last (stream seconds) before it is reported. */
  lastingS: number;
  /** A shift is a level this many times the reference median, or below it by the same factor. */
  ratio: number;
  /** Median of this many stream seconds is one point of the level. */
  bucketS: number;
  /** Scores the reference level is taken from, once watching starts. */
  referenceWindows: number;
}

export const DEFAULT_DRIFT: DriftOptions = {
  lastingS: 6 * 3600,
  ratio: 2,
  bucketS: 600,
  referenceWindows: 200,
};

/** A lasting move of a board's normal score level. */
export interface Drift {
  /** Median score over the lasting span against the reference. */
  level: number;
  reference: number;
  /** Stream ms the shift has lasted since. */
  since: number;
  direction: 'up' | 'down';
}

/**
 * Watches a board's score level over hours: the median of each bucket against the median of the first
 * scores after the model went live. A level that stays `ratio` times off for `lastingS` with no machine
 * alarm in that time is not a fault pattern (a fault alarms) but a changed normal — after a bearing
 * change, a new product, a moved sensor — and is reported once, until the level comes back.
 */
export class DriftWatch {
  readonly o: DriftOptions;
  private reference: number | null = null;
  private readonly first: number[] = [];
  private bucket: number[] = [];
  private bucketStart: number | null = null;
  /** Bucket medians off the reference, in a row, with their start times. */
  private off: { start: number; median: number; direction: 'up' | 'down' }[] = [];
  private reported = false;

  constructor(o: Partial<DriftOptions> = {}) {
    this.o = { ...DEFAULT_DRIFT, ...o };
  }

  /** Forget the reference (another model went live, or the board re-learns). */
  reset(): void {
    this.reference = null;
    this.first.length = 0;
    this.bucket = [];
    this.bucketStart = null;
    this.off = [];
    this.reported = false;
  }

  get referenceLevel(): number | null {
    return this.reference;
  }

  /** A scored window while watching; `inAlarm` when a machine alarm is active. Returns a drift once. */
  add(score: number, endMs: number, inAlarm: boolean): Drift | null {
    if (this.reference === null) {
      if (!inAlarm) this.first.push(score);
      if (this.first.length >= this.o.referenceWindows) this.reference = percentile(this.first, 50);
      return null;
    }
    // A machine alarm explains the scores: what follows starts a new span.
    if (inAlarm) {
      this.off = [];
      this.bucket = [];
      this.bucketStart = null;
      return null;
    }
    this.bucketStart ??= endMs;
    this.bucket.push(score);
    if (endMs - this.bucketStart < this.o.bucketS * 1000) return null;
    const median = percentile(this.bucket, 50);
    const start = this.bucketStart;
    this.bucket = [];
    this.bucketStart = null;
    const r = this.reference;
    const direction = median > r * this.o.ratio ? 'up' : median < r / this.o.ratio ? 'down' : null;
    if (!direction || (this.off.length && this.off[0]!.direction !== direction)) {
      this.off = direction ? [{ start, median, direction }] : [];
      if (!direction) this.reported = false;
      return null;
    }
    this.off.push({ start, median, direction });
    const lasted = endMs - this.off[0]!.start;
    if (this.reported || lasted < this.o.lastingS * 1000) return null;
    this.reported = true;
    return {
      level: percentile(
        this.off.map((b) => b.median),
        50,
      ),
      reference: r,
      since: this.off[0]!.start,
      direction,
    };
  }
}
