import { reconstructionErrors } from './autoencoder.js';
import { type LoadedModel, loadModelDir } from './model-dir.js';
import type { WindowScorer } from './scorer.js';
import { tfReady } from './tf.js';

/** The float tfjs autoencoder: normalizes the features, scores by reconstruction error. */
export class FloatAutoencoderScorer implements WindowScorer {
  readonly kind = 'float' as const;
  readonly id: string;
  readonly hash: string;
  readonly threshold: number;
  readonly loaded: LoadedModel;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;

  constructor(loaded: LoadedModel) {
    this.loaded = loaded;
    const s = loaded.sidecar;
    this.id = s.model.id;
    this.hash = s.model.hash;
    this.threshold = s.threshold.value;
    this.mean = Float32Array.from(s.normalization.mean);
    this.invStd = Float32Array.from(s.normalization.std, (v) => 1 / v);
  }

  static async fromDir(dir: string): Promise<FloatAutoencoderScorer> {
    await tfReady();
    return new FloatAutoencoderScorer(await loadModelDir(dir));
  }

  normalize(f: Float32Array): Float32Array {
    const out = new Float32Array(f.length);
    for (let i = 0; i < f.length; i++) out[i] = (f[i]! - this.mean[i]!) * this.invStd[i]!;
    return out;
  }

  scoreBatch(features: Float32Array[]): Promise<Float32Array> {
    return reconstructionErrors(
      this.loaded.model,
      features.map((f) => this.normalize(f)),
    );
  }

  dispose(): void {
    this.loaded.model.dispose();
  }
}
