import type { Duplex } from 'node:stream';
import type { Int8AutoencoderScorer, WindowScorer } from '../detect/index.js';
import { Link, runOnBoard } from '../link/index.js';
import type { Logger } from '../publish/index.js';
import { rawBytes, tensorFromRaw } from '../tflite/index.js';

/** What status pages show about inference on a board. */
export interface BoardInferenceStatus {
  /** Where the latest window was scored: the board, or the gateway because the board could not. */
  lastOn: 'board' | 'gateway' | null;
  /** Windows the board scored. */
  runs: number;
  /** Windows scored on the gateway instead (board failed, unreachable, or unable to run the model). */
  fallbacks: number;
  /** Inferences the board failed (timeout, error status, malformed reply). */
  failures: number;
  /** The board's own time for the latest inference and the mean over all, microseconds. */
  lastMicros: number | null;
  meanMicros: number | null;
  lastError: { message: string; at: number } | null;
  /** Set when the board cannot run the model at all (not deployed, runtime refused it): why. */
  disabled: string | null;
  /** While the board is backed off after a failure: when it is tried again (epoch ms). */
  retryAt: number | null;
}

export interface BoardScorerOptions {
  /** Wait for each reply of the board this long, and resend this often, before a window falls back. */
  timeoutMs?: number;
  attempts?: number;
  /** After a failure, score on the gateway this long before trying the board again (doubles, capped). */
  backoffMs?: { initial: number; max: number };
  now?: () => number;
}

/**
 * One try per window: replies carry no sequence number, so a resend's late twin could be taken for the
 * next window's answer. A window whose reply is late is scored on the gateway, and the backoff that
 * follows outlasts any late reply.
 */
const DEFAULTS = { timeoutMs: 1000, attempts: 1, backoffMs: { initial: 5000, max: 60_000 } };

/**
 * Scores a board's windows on the board itself: the gateway computes the model's int8 input exactly as
 * its own int8 scorer does, the board's runtime runs the flashed model, and the board's output becomes
 * the same reconstruction error. A window the board cannot score is scored on the gateway instead, so
 * none is lost; the board is retried after a backoff.
 */
export class BoardScorer implements WindowScorer {
  readonly kind = 'board' as const;
  readonly id: string;
  readonly hash: string;
  readonly threshold: number;
  private link: Link | null = null;
  private readonly o: Required<Omit<BoardScorerOptions, 'now'>> & { now: () => number };
  private backoff: number;
  private totalMicros = 0;
  private readonly s: BoardInferenceStatus = {
    lastOn: null,
    runs: 0,
    fallbacks: 0,
    failures: 0,
    lastMicros: null,
    meanMicros: null,
    lastError: null,
    disabled: null,
    retryAt: null,
  };

  constructor(
    /** The gateway's int8 scorer of the same model: input preparation, output scoring, fallback. */
    private readonly int8: Int8AutoencoderScorer,
    private readonly boardId: string,
    private readonly log: Logger,
    options: BoardScorerOptions = {},
  ) {
    this.id = int8.id;
    this.hash = int8.hash;
    this.threshold = int8.threshold;
    this.o = { ...DEFAULTS, now: Date.now, ...options };
    this.backoff = this.o.backoffMs.initial;
  }

  /** Talk to the board over a port johnny-five has just opened (the link listens beside firmata-io). */
  attach(port: Duplex, name: string, baudRate: number | null): void {
    this.link = new Link(port, name, baudRate);
    // A new connection is a new chance: no need to wait out a backoff earned by the old one.
    this.s.retryAt = null;
    this.backoff = this.o.backoffMs.initial;
  }

  /** The board cannot run the model at all: every window is scored on the gateway. */
  disable(reason: string): void {
    this.s.disabled = reason;
    this.log.warn(
      { board: this.boardId, reason },
      `board ${this.boardId}: inference: board, but ${reason}; scoring every window on the gateway`,
    );
  }

  status(): BoardInferenceStatus {
    return { ...this.s, lastError: this.s.lastError ? { ...this.s.lastError } : null };
  }

  async scoreBatch(features: Float32Array[]): Promise<Float32Array> {
    const out = new Float32Array(features.length);
    // One window at a time: the board runs one inference at a time.
    for (let w = 0; w < features.length; w++) out[w] = await this.scoreOne(features[w]!);
    return out;
  }

  private async scoreOne(features: Float32Array): Promise<number> {
    const link = this.usableLink();
    if (link) {
      const { normalized, tensor } = this.int8.modelInput(features);
      try {
        const r = await runOnBoard(link, rawBytes(tensor), {
          timeoutMs: this.o.timeoutMs,
          attempts: this.o.attempts,
        });
        const score = this.int8.errorOf(normalized, tensorFromRaw(this.int8.io.output, r.output));
        this.succeeded(r.micros);
        return score;
      } catch (err) {
        this.failed(err);
      }
    }
    this.s.fallbacks++;
    this.s.lastOn = 'gateway';
    return this.int8.scoreBatch([features])[0]!;
  }

  private usableLink(): Link | null {
    if (this.s.disabled || !this.link) return null;
    if (this.s.retryAt !== null && this.o.now() < this.s.retryAt) return null;
    return this.link;
  }

  private succeeded(micros: number): void {
    if (this.s.retryAt !== null) {
      this.log.info({ board: this.boardId }, `board ${this.boardId}: inference runs on the board again`);
    }
    this.s.retryAt = null;
    this.backoff = this.o.backoffMs.initial;
    this.s.runs++;
    this.s.lastOn = 'board';
    this.s.lastMicros = micros;
    this.totalMicros += micros;
    this.s.meanMicros = this.totalMicros / this.s.runs;
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const now = this.o.now();
    this.s.failures++;
    this.s.lastError = { message, at: now };
    this.s.retryAt = now + this.backoff;
    this.log.warn(
      { board: this.boardId, err: message, retryInMs: this.backoff },
      `board ${this.boardId}: inference on the board failed (${message}); scoring on the gateway, trying the board again in ${Math.round(this.backoff / 1000)} s`,
    );
    this.backoff = Math.min(this.backoff * 2, this.o.backoffMs.max);
  }
}
