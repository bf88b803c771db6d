import type { Duplex } from 'node:stream';
import type { Int8AutoencoderScorer, WindowScorer } from '../detect/index.js';
import { type Link, openLink, runOnBoard, runtimeStatus } from '../link/index.js';

/** What on-board inference has done so far, for status pages and logs. */
export interface BoardInferenceStats {
  /** Windows the board scored. */
  onBoard: number;
  /** Windows scored on the gateway instead, because the board could not. */
  fellBack: number;
  /** The board's last inference time, and the mean over all it ran, µs. */
  lastMicros: number | null;
  meanMicros: number | null;
  /** Why the last fallback happened. */
  lastError: string | null;
  /** Where the latest window was scored. */
  lastOn: 'board' | 'gateway' | null;
  /** After a failure the board is left alone until then (epoch ms); null when it is asked every window. */
  retryAt: number | null;
}

export interface BoardScorerOptions {
  /** Called when a window falls back for a reason not yet said, with when the board is asked again. */
  onFallback?: (why: string, retryInMs: number | null) => void;
  /** Called when the board scores again after windows fell back. */
  onRecover?: () => void;
  /** Wait this long for each reply of the board before the window falls back (default 1000 ms). */
  timeoutMs?: number;
  /** After a failed exchange, score on the gateway this long before asking again (doubles, capped). */
  backoffMs?: { initial: number; max: number };
  now?: () => number;
}

/** The board is not there, or refused this model on this connection: no exchange was tried. */
class NotAsked extends Error {}

/**
 * `inference: board`: each window's features go through the model's normalization and input quantization
 * here, the board's int8 runtime runs the flashed model on them over the serial link johnny-five uses,
 * and its output is scored here exactly as the gateway's int8 scorer would. A window the board cannot
 * score (no model, link trouble, an error) is scored on the gateway, so none is lost; after a failed
 * exchange the board is left alone for a while (5 s, doubling to 60 s), so a silent board does not
 * hold every window up for a timeout.
 */
export class BoardScorer implements WindowScorer {
  readonly kind = 'board' as const;
  readonly id: string;
  readonly hash: string;
  readonly threshold: number;
  readonly stats: BoardInferenceStats = {
    onBoard: 0,
    fellBack: 0,
    lastMicros: null,
    meanMicros: null,
    lastError: null,
    lastOn: null,
    retryAt: null,
  };
  private link: Link | null = null;
  private linkOn: Duplex | null = null;
  private checked: Duplex | null = null;
  /** A definite refusal from the board's runtime on this stream: not asked again until a reconnect. */
  private refused: { stream: Duplex; why: string } | null = null;
  private readonly o: Required<Omit<BoardScorerOptions, 'onFallback' | 'onRecover'>> & BoardScorerOptions;
  private backoff: number;
  private said: string | null = null;
  private totalMicros = 0;

  constructor(
    private readonly local: Int8AutoencoderScorer,
    /** The board's open stream, while it streams. */
    private readonly transport: () => Duplex | null,
    options: BoardScorerOptions | ((why: string) => void) = {},
  ) {
    this.id = local.id;
    this.hash = local.hash;
    this.threshold = local.threshold;
    const o = typeof options === 'function' ? { onFallback: options } : options;
    this.o = { timeoutMs: 1000, backoffMs: { initial: 5000, max: 60_000 }, now: Date.now, ...o };
    this.backoff = this.o.backoffMs.initial;
  }

  /** The same model run on the gateway (what a window the board cannot score falls back to). */
  get gatewayScorer(): Int8AutoencoderScorer {
    return this.local;
  }

  async scoreBatch(features: Float32Array[]): Promise<Float32Array> {
    const out = new Float32Array(features.length);
    // One window at a time: the board runs one inference at a time.
    for (let w = 0; w < features.length; w++) {
      const f = features[w]!;
      const score = await this.boardScore(f);
      if (score !== null) {
        out[w] = score;
        continue;
      }
      this.stats.fellBack++;
      this.stats.lastOn = 'gateway';
      out[w] = this.local.scoreBatch([f])[0]!;
    }
    return out;
  }

  /** The board's score for one window, or null when it cannot give one now (the reason is kept). */
  private async boardScore(features: Float32Array): Promise<number | null> {
    if (this.transport() !== this.linkOn) {
      // A new connection is a new chance: no need to wait out the old one's backoff.
      this.stats.retryAt = null;
      this.backoff = this.o.backoffMs.initial;
    }
    if (this.stats.retryAt !== null && this.o.now() < this.stats.retryAt) return null;
    const { normalized, input } = this.local.modelInput(features);
    try {
      const link = await this.ready(input.length);
      // One try: replies carry no sequence number, so a resend's late twin could answer the next window.
      const r = await runOnBoard(link, new Uint8Array(input.buffer, input.byteOffset, input.length), {
        timeoutMs: this.o.timeoutMs,
        attempts: 1,
      });
      const score = this.local.errorOf(
        normalized,
        new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length),
      );
      this.succeeded(r.micros);
      return score;
    } catch (err) {
      this.failed(err as Error);
      return null;
    }
  }

  private succeeded(micros: number): void {
    if (this.stats.lastOn === 'gateway') this.o.onRecover?.();
    this.said = null;
    this.stats.retryAt = null;
    this.backoff = this.o.backoffMs.initial;
    this.stats.onBoard++;
    this.stats.lastOn = 'board';
    this.stats.lastMicros = micros;
    this.totalMicros += micros;
    this.stats.meanMicros = this.totalMicros / this.stats.onBoard;
  }

  private failed(err: Error): void {
    const why = err.message;
    this.stats.lastError = why;
    // A failed exchange (timeout, error status, bad reply) backs off; a refusal costs nothing to repeat.
    let retryInMs: number | null = null;
    if (!(err instanceof NotAsked)) {
      retryInMs = this.backoff;
      this.stats.retryAt = this.o.now() + retryInMs;
      this.backoff = Math.min(this.backoff * 2, this.o.backoffMs.max);
    }
    if (retryInMs !== null || why !== this.said) this.o.onFallback?.(why, retryInMs);
    this.said = why;
  }

  /** A link on the board's current stream; after each (re)connect, a check that its runtime holds this model. */
  private async ready(inputBytes: number): Promise<Link> {
    const stream = this.transport();
    if (!stream) throw new NotAsked('the board is not connected');
    if (this.linkOn !== stream) {
      this.link?.detach();
      this.link = await openLink({ stream, name: 'board' });
      this.linkOn = stream;
    }
    const link = this.link!;
    if (this.refused?.stream === stream) throw new NotAsked(this.refused.why);
    if (this.checked !== stream) {
      const s = await runtimeStatus(link);
      let why: string | null = null;
      if (s.state !== 'ready') why = `the board's runtime is not ready: ${s.error ?? s.state}`;
      else if (s.inputBytes !== inputBytes)
        why = `the board runs another model (input ${s.inputBytes} B, this one ${inputBytes} B)`;
      if (why) {
        this.refused = { stream, why };
        throw new NotAsked(why);
      }
      this.checked = stream;
    }
    return link;
  }

  dispose(): void {
    this.link?.detach();
    this.link = null;
  }
}
