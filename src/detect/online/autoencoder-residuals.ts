// The autoencoder as the online detector's model of normal: it reconstructs each window's standardized
// features, and its reconstruction error is one more residual beside the rolling z-scores. It is trained on
// the windows the detector has seen (never later ones), then retrained on a bounded memory as the machine
// changes; `int8` runs the converted full-integer model in the official TFLite interpreter instead of tfjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfliteInterpreter } from '../../tflite/index.js';
import type { tf as TfCore, tfl } from '../tf.js';
import { EwmaResiduals, type ResidualModel } from './residual.js';

export interface AutoencoderResidualOptions {
  /** Encoder widths (the decoder mirrors them). */
  hidden: number[];
  epochs: number;
  /** Windows remembered for (re)training, newest kept. */
  memoryWindows: number;
  /** Retrain when this much stream time has passed since the last training. */
  retrainEveryS: number;
  arithmetic: 'float' | 'int8';
  seed: number;
}

export const DEFAULT_AUTOENCODER_RESIDUALS: AutoencoderResidualOptions = {
  hidden: [8, 3],
  epochs: 40,
  memoryWindows: 4000,
  retrainEveryS: 30 * 86_400,
  arithmetic: 'float',
  seed: 1,
};

export class AutoencoderResiduals implements ResidualModel {
  readonly kind: string;
  readonly extraNames = ['autoencoder'];
  readonly options: AutoencoderResidualOptions;
  private readonly base: EwmaResiduals;
  private readonly memory: Float32Array[] = [];
  private readonly z: Float32Array<ArrayBuffer>;
  private model: tfl.LayersModel | null = null;
  private interpreter: TfliteInterpreter | null = null;
  private trainedAtS = Number.NEGATIVE_INFINITY;
  private nowS = 0;
  private tf: typeof TfCore | null = null;
  /** Error of held-back windows after the latest training: the new tail history of the error residual. */
  recalibration: number[] | null = null;

  constructor(
    private readonly features: number,
    halfLifeS: number,
    warmup: number,
    options: Partial<AutoencoderResidualOptions> = {},
  ) {
    this.options = { ...DEFAULT_AUTOENCODER_RESIDUALS, ...options };
    this.kind = `autoencoder-${this.options.arithmetic}`;
    this.base = new EwmaResiduals(halfLifeS, warmup);
    this.z = new Float32Array(features);
  }

  /** True when enough stream time has passed for a (re)training and the memory holds enough windows. */
  get trainingDue(): boolean {
    return this.memory.length >= 100 && this.nowS - this.trainedAtS >= this.options.retrainEveryS;
  }

  residuals(f: Float32Array, out: Float64Array): void {
    this.base.residuals(f, out);
    this.base.standardize(f, this.z);
    out[this.features] = this.error(this.z);
  }

  learn(f: Float32Array, dtS: number): void {
    this.base.standardize(f, this.z);
    this.memory.push(Float32Array.from(this.z));
    if (this.memory.length > this.options.memoryWindows) this.memory.shift();
    this.base.learn(f, dtS);
    this.nowS += Math.max(dtS, 0);
  }

  /** Trains on the remembered windows (the newest fifth held back to recalibrate the error's tail). */
  async train(): Promise<void> {
    const { tf, tfReady } = await import('../tf.js');
    const { buildAutoencoder, fitAutoencoder } = await import('../autoencoder.js');
    await tfReady();
    this.tf = tf;
    const n = this.memory.length;
    const split = Math.floor(n * 0.8);
    const train = this.memory.slice(0, split);
    const held = this.memory.slice(split);
    const model = buildAutoencoder({ inputs: this.features, hidden: this.options.hidden }, this.options.seed);
    await fitAutoencoder(model, train, held, {
      epochs: this.options.epochs,
      batchSize: 32,
      learningRate: 0.005,
      patience: 8,
      seed: this.options.seed,
    });
    this.model?.dispose();
    this.model = model;
    if (this.options.arithmetic === 'int8') await this.convert(train);
    this.recalibration = held.map((z) => this.error(z));
    this.trainedAtS = this.nowS;
  }

  private async convert(calib: Float32Array[]): Promise<void> {
    const { saveLayersModel } = await import('../model-dir.js');
    const { convertModel } = await import('../../convert/index.js');
    const { TfliteInterpreter } = await import('../../tflite/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'tg-online-ae-'));
    try {
      await saveLayersModel(this.model!, dir);
      const { bytes } = await convertModel({
        model: dir,
        calib: '(remembered windows)',
        calibSamples: calib,
        // Min/max, not output-mse: ranges clipped to fit normal windows would saturate on the abnormal ones.
        strategy: 'minmax',
        maxAucDrop: Number.POSITIVE_INFINITY,
        description: 'tinygate online autoencoder',
      });
      this.interpreter?.close();
      this.interpreter = await TfliteInterpreter.load(bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Mean squared reconstruction error of one standardized window (0 before the first training).
  private error(z: Float32Array): number {
    if (!this.model) return 0;
    let y: Float32Array;
    if (this.interpreter) {
      const q = this.interpreter.quantizeInput(0, z);
      y = this.interpreter.dequantizeOutput(0, this.interpreter.run(q)[0]!);
    } else {
      y = this.predictFloat(z);
    }
    let e = 0;
    for (let i = 0; i < z.length; i++) e += (y[i]! - z[i]!) ** 2;
    return e / z.length;
  }

  private predictFloat(z: Float32Array): Float32Array {
    const tf = this.tf!;
    return tf.tidy(() => {
      const y = this.model!.predict(tf.tensor2d(z, [1, z.length])) as Tensor;
      return y.dataSync() as Float32Array;
    });
  }

  dispose(): void {
    this.model?.dispose();
    this.interpreter?.close();
  }
}
