import { TinygateError } from '../errors/index.js';
import type { FeaturePipeline } from './features.js';

/** A full window, ready for features: one linear array per pipeline channel. */
export interface SampleWindow {
  channels: Float64Array[];
  /** Gateway time (epoch ms) of the first and last sample of the first channel. */
  start: number;
  end: number;
  /** 0-based count of the first channel's last sample in this window (to match it to when it was taken). */
  lastSeq: number;
  /** Samples lost inside this window (a gap the board's sample marks showed): such a window is not scored. */
  lostSamples?: number;
}

/**
 * Cuts live samples into the pipeline's windows (size, hop). The first pipeline channel paces the
 * windows; the others contribute their latest `size` samples (they arrive in the same Firmata report).
 */
export class StreamWindower {
  readonly pipeline: FeaturePipeline;
  private readonly map: Int32Array;
  private readonly rings: Float64Array[];
  private readonly times: Float64Array;
  private readonly written: Float64Array;
  private sinceLast = 0;
  private readonly size: number;
  private readonly hop: number;
  /** Gaps by the pacing channel's sample index they come before, oldest first. */
  private gaps: { at: number; count: number }[] = [];

  /** `sessionChannels`: the session's channel names, in its order (samples arrive by that index). */
  constructor(pipeline: FeaturePipeline, sessionChannels: string[]) {
    this.pipeline = pipeline;
    this.size = pipeline.window.size;
    this.hop = pipeline.window.hop;
    this.map = new Int32Array(sessionChannels.length).fill(-1);
    pipeline.channels.forEach((c, i) => {
      const at = sessionChannels.indexOf(c.name);
      if (at < 0) {
        throw new TinygateError(
          'PIPELINE_CHANNEL_MISSING',
          `the model reads channel "${c.name}", the board has none`,
          {
            hint: `The board's channels: ${sessionChannels.join(', ')}. Configure the sensor or pick another model.`,
          },
        );
      }
      this.map[at] = i;
    });
    this.rings = pipeline.channels.map(() => new Float64Array(this.size));
    this.times = new Float64Array(this.size);
    this.written = new Float64Array(pipeline.channels.length);
  }

  /**
   * The board lost `count` samples just before the next one of the pacing channel (its sample marks say
   * exactly where): every window holding both sides of the gap is marked, and no other.
   */
  markGap(count: number): void {
    this.gaps.push({ at: this.written[0]!, count });
  }

  /** Add one sample; returns a window when the pacing channel completes one. */
  push(sessionChannel: number, value: number, ts: number): SampleWindow | null {
    const c = this.map[sessionChannel]!;
    if (c < 0) return null;
    const n = this.written[c]!;
    this.rings[c]![n % this.size] = value;
    this.written[c] = n + 1;
    if (c !== 0) return null;
    this.times[n % this.size] = ts;
    this.sinceLast++;
    if (n + 1 < this.size || (n + 1 > this.size && this.sinceLast < this.hop)) return null;
    // Other channels lag by at most one report; wait until each has a full window too.
    for (let i = 1; i < this.written.length; i++) if (this.written[i]! < this.size) return null;
    this.sinceLast = 0;
    const window: SampleWindow = {
      channels: this.rings.map((r, i) => linear(r, this.written[i]!, this.size)),
      start: this.times[(n + 1) % this.size]!,
      end: ts,
      lastSeq: n,
    };
    // The window holds samples n-size+1 .. n; a gap before sample g lies inside when n-size+1 < g <= n.
    const first = n - this.size + 1;
    while (this.gaps.length > 0 && this.gaps[0]!.at <= first) this.gaps.shift();
    let lost = 0;
    for (const g of this.gaps) if (g.at <= n) lost += g.count;
    if (lost > 0) window.lostSamples = lost;
    return window;
  }
}

// The ring's last `size` values, oldest first.
function linear(ring: Float64Array, written: number, size: number): Float64Array {
  const out = new Float64Array(size);
  const head = written % size;
  out.set(ring.subarray(head), 0);
  out.set(ring.subarray(0, head), size - head);
  return out;
}
