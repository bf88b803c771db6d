import FFT from 'fft.js';
import { z } from 'zod';
import { TinygateError } from '../errors/index.js';

/**
 * Per-channel features. The time-domain ones (all but `bands`) are what a board can compute too; `last`, `slope`
 * (per sample) and `logstd` describe slow signals (level, trend, variability) whose mean must not be removed.
 */
export const FEATURE_KINDS = [
  'mean',
  'rms',
  'peak',
  'crest',
  'kurtosis',
  'bands',
  'raw',
  'last',
  'slope',
  'logstd',
] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const TIME_DOMAIN_FEATURES: readonly FeatureKind[] = [
  'mean',
  'rms',
  'peak',
  'crest',
  'kurtosis',
  'raw',
  'last',
  'slope',
  'logstd',
];

/**
 * How a window of samples becomes the model's input vector. It travels with the model (pipeline.json,
 * the model card, and the .tflite metadata) so the gateway and a board compute identical inputs.
 */
export const FeaturePipeline = z
  .object({
    version: z.literal(1).default(1),
    sampleRateHz: z.number().positive(),
    window: z.object({
      /** Samples per window, per channel. */
      size: z.number().int().min(8).max(65536),
      /** Samples between window starts. */
      hop: z.number().int().min(1),
    }),
    channels: z
      .array(z.object({ name: z.string().min(1), features: z.array(z.enum(FEATURE_KINDS)).min(1) }))
      .min(1),
    /** Spectral band energies: `count` equal-width bands from fromHz to toHz of a Hann-windowed FFT. */
    bands: z
      .object({
        count: z.number().int().min(1).max(256).default(8),
        fromHz: z.number().min(0).default(0),
        toHz: z.number().positive().optional(),
      })
      .default({ count: 8, fromHz: 0 }),
  })
  .superRefine((p, ctx) => {
    if (p.window.hop > p.window.size)
      ctx.addIssue({
        code: 'custom',
        path: ['window', 'hop'],
        message: 'hop larger than size skips samples',
      });
    const usesBands = p.channels.some((c) => c.features.includes('bands'));
    if (usesBands && p.bands.count > p.window.size / 2)
      ctx.addIssue({
        code: 'custom',
        path: ['bands', 'count'],
        message: `${p.bands.count} bands need a window of at least ${2 * p.bands.count} samples (a window of ${p.window.size} has ${p.window.size / 2} frequency bins); use fewer bands or a longer window`,
      });
    if (usesBands && (p.window.size & (p.window.size - 1)) !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['window', 'size'],
        message: 'band energies need a power-of-two window (e.g. 256, 1024)',
      });
  });
export type FeaturePipeline = z.infer<typeof FeaturePipeline>;
export type FeaturePipelineInput = z.input<typeof FeaturePipeline>;

export function parsePipeline(input: unknown, where = 'feature pipeline'): FeaturePipeline {
  const r = FeaturePipeline.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TinygateError(
      'PIPELINE_INVALID',
      `${where}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
      {
        hint: 'See docs/detection.md ("Features").',
      },
    );
  }
  return r.data;
}

/** Names of the feature vector's entries, in order ("vib.x:rms", "vib.x:band3", "vib.x:raw17"). */
export function featureNames(p: FeaturePipeline): string[] {
  const out: string[] = [];
  for (const ch of p.channels) {
    for (const f of ch.features) {
      if (f === 'bands') for (let b = 0; b < p.bands.count; b++) out.push(`${ch.name}:band${b}`);
      else if (f === 'raw') for (let i = 0; i < p.window.size; i++) out.push(`${ch.name}:raw${i}`);
      else out.push(`${ch.name}:${f}`);
    }
  }
  return out;
}

export function featureCount(p: FeaturePipeline): number {
  let n = 0;
  for (const ch of p.channels)
    for (const f of ch.features) n += f === 'bands' ? p.bands.count : f === 'raw' ? p.window.size : 1;
  return n;
}

/**
 * Computes feature vectors for windows. Holds its FFT tables and scratch buffers, so one extractor per
 * pipeline is cheap to call again and again (not safe to share between concurrent async users).
 */
export class FeatureExtractor {
  readonly pipeline: FeaturePipeline;
  readonly size: number;
  private readonly fft: FFT | null;
  private readonly hann: Float64Array | null;
  private readonly fftIn: Float64Array;
  private readonly fftOut: Float64Array;
  private readonly bandEdges: Int32Array;
  private readonly centered: Float64Array;

  constructor(pipeline: FeaturePipeline) {
    this.pipeline = pipeline;
    this.size = featureCount(pipeline);
    const n = pipeline.window.size;
    const usesBands = pipeline.channels.some((c) => c.features.includes('bands'));
    this.fft = usesBands ? new FFT(n) : null;
    this.hann = usesBands
      ? Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n))
      : null;
    this.fftIn = new Float64Array(n);
    this.fftOut = new Float64Array(2 * n);
    this.centered = new Float64Array(n);
    // Band b covers FFT bins [edges[b], edges[b+1]); bin k is k × rate / n Hz.
    const { count, fromHz } = pipeline.bands;
    const nyquist = pipeline.sampleRateHz / 2;
    const toHz = Math.min(pipeline.bands.toHz ?? nyquist, nyquist);
    const hzPerBin = pipeline.sampleRateHz / n;
    this.bandEdges = new Int32Array(count + 1);
    for (let b = 0; b <= count; b++) {
      const hz = fromHz + ((toHz - fromHz) * b) / count;
      this.bandEdges[b] = Math.max(1, Math.min(n / 2 + 1, Math.round(hz / hzPerBin)));
    }
    for (let b = 0; b < count; b++) {
      if (this.bandEdges[b + 1]! <= this.bandEdges[b]!) this.bandEdges[b + 1] = this.bandEdges[b]! + 1;
    }
  }

  /**
   * One window → one feature vector. `channels[i]` holds the window of pipeline channel i, read from
   * `offset` for `window.size` samples (a ring buffer's linear copy or a slice of a recording column).
   */
  extract(channels: ArrayLike<number>[], offset = 0, out = new Float32Array(this.size)): Float32Array {
    const p = this.pipeline;
    const n = p.window.size;
    const x = this.centered;
    let k = 0;
    for (let c = 0; c < p.channels.length; c++) {
      const src = channels[c]!;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += src[offset + i]!;
      const mean = sum / n;
      let m2 = 0;
      let m4 = 0;
      let peak = 0;
      for (let i = 0; i < n; i++) {
        const d = src[offset + i]! - mean;
        x[i] = d;
        const d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
        const a = d < 0 ? -d : d;
        if (a > peak) peak = a;
      }
      m2 /= n;
      m4 /= n;
      const rms = Math.sqrt(m2);
      for (const f of p.channels[c]!.features) {
        switch (f) {
          case 'mean':
            out[k++] = mean;
            break;
          case 'rms':
            out[k++] = rms;
            break;
          case 'peak':
            out[k++] = peak;
            break;
          case 'crest':
            out[k++] = rms > 0 ? peak / rms : 0;
            break;
          case 'kurtosis':
            out[k++] = m2 > 0 ? m4 / (m2 * m2) : 0;
            break;
          case 'raw':
            for (let i = 0; i < n; i++) out[k++] = x[i]!;
            break;
          case 'last':
            out[k++] = src[offset + n - 1]!;
            break;
          case 'slope':
            out[k++] = slopePerSample(x, n);
            break;
          case 'logstd':
            out[k++] = Math.log10(rms + 1e-6 * (Math.abs(mean) + 1));
            break;
          case 'bands':
            k = this.bands(x, out, k);
            break;
        }
      }
    }
    return out;
  }

  // log10 of each band's power (mean-removed, Hann-windowed, scaled so a sine of amplitude A gives ≈ A²/2).
  private bands(x: Float64Array, out: Float32Array, k: number): number {
    const n = this.pipeline.window.size;
    const hann = this.hann!;
    const inp = this.fftIn;
    for (let i = 0; i < n; i++) inp[i] = x[i]! * hann[i]!;
    this.fft!.realTransform(this.fftOut, inp);
    const o = this.fftOut;
    const scale = 2 / ((n * n) / 2.667); // Hann: Σw² ≈ 3n/8; one-sided power
    const e = this.bandEdges;
    for (let b = 0; b < e.length - 1; b++) {
      let p = 0;
      for (let j = e[b]!; j < e[b + 1]!; j++) {
        const re = o[2 * j]!;
        const im = o[2 * j + 1]!;
        p += re * re + im * im;
      }
      out[k++] = Math.log10(p * scale + 1e-9);
    }
    return k;
  }
}

// Least-squares slope of a mean-removed window, in units per sample (trend of a slow signal).
function slopePerSample(x: Float64Array, n: number): number {
  const mid = (n - 1) / 2;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mid) * x[i]!;
    den += (i - mid) * (i - mid);
  }
  return den > 0 ? num / den : 0;
}
