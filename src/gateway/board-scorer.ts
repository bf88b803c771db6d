import type { Duplex } from 'node:stream';
import type { Int8AutoencoderScorer, WindowScorer } from '../detect/index.js';
import { type Link, openLink, runOnBoard, runtimeStatus } from '../link/index.js';

/** What on-board inference has done so far, for status pages and logs. */
export interface BoardInferenceStats {
  /** Windows the board scored. */
  onBoard: number;
  /** Windows scored on the gateway instead, because the board could not. */
  fellBack: number;
  /** The board's last inference time, µs. */
  lastMicros: number | null;
  /** Why the last fallback happened. */
  lastError: string | null;
}

/**
 * `inference: board`: each window's features go through the model's normalization and input quantization
 * here, the board's int8 runtime runs the flashed model on them over the serial link johnny-five uses,
 * and its output is scored here exactly as the gateway's int8 scorer would. A window the board cannot
 * score (no model, link trouble, an error) is scored on the gateway, so none is lost.
 */
export class BoardScorer implements WindowScorer {
  readonly kind = 'board' as const;
  readonly id: string;
  readonly hash: string;
  readonly threshold: number;
  readonly stats: BoardInferenceStats = { onBoard: 0, fellBack: 0, lastMicros: null, lastError: null };
  private link: Link | null = null;
  private linkOn: Duplex | null = null;
  private checked: Duplex | null = null;
  /** A definite refusal from the board's runtime on this stream: not asked again until a reconnect. */
  private refused: { stream: Duplex; why: string } | null = null;

  constructor(
    private readonly local: Int8AutoencoderScorer,
    /** The board's open stream, while it streams. */
    private readonly transport: () => Duplex | null,
    private readonly onFallback: (why: string) => void = () => {},
  ) {
    this.id = local.id;
    this.hash = local.hash;
    this.threshold = local.threshold;
  }

  async scoreBatch(features: Float32Array[]): Promise<Float32Array> {
    const out = new Float32Array(features.length);
    for (let w = 0; w < features.length; w++) {
      const { normalized, input } = this.local.modelInput(features[w]!);
      try {
        const link = await this.ready(input.length);
        const r = await runOnBoard(link, new Uint8Array(input.buffer, input.byteOffset, input.length), {
          timeoutMs: 500,
          attempts: 2,
        });
        this.stats.onBoard++;
        this.stats.lastMicros = r.micros;
        out[w] = this.local.errorOf(
          normalized,
          new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length),
        );
      } catch (err) {
        const why = (err as Error).message;
        this.stats.fellBack++;
        if (why !== this.stats.lastError) this.onFallback(why);
        this.stats.lastError = why;
        out[w] = this.local.scoreBatch([features[w]!])[0]!;
      }
    }
    return out;
  }

  /** A link on the board's current stream; after each (re)connect, a check that its runtime holds this model. */
  private async ready(inputBytes: number): Promise<Link> {
    const stream = this.transport();
    if (!stream) throw new Error('the board is not connected');
    if (this.linkOn !== stream) {
      this.link?.detach();
      this.link = await openLink({ stream, name: 'board' });
      this.linkOn = stream;
    }
    const link = this.link!;
    if (this.refused?.stream === stream) throw new Error(this.refused.why);
    if (this.checked !== stream) {
      const s = await runtimeStatus(link);
      let why: string | null = null;
      if (s.state !== 'ready') why = `the board's runtime is not ready: ${s.error ?? s.state}`;
      else if (s.inputBytes !== inputBytes)
        why = `the board runs another model (input ${s.inputBytes} B, this one ${inputBytes} B)`;
      if (why) {
        this.refused = { stream, why };
        throw new Error(why);
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
