import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BaselineScorer,
  Int8AutoencoderScorer,
  loadSidecar,
  MODEL_FILES,
  type ModelSidecar,
  type WindowScorer,
} from '../detect/index.js';
import { TinygateError } from '../errors/index.js';
import { type ChannelInfo, type ChannelMeta, channelMeta, FeaturePipeline } from '../sensing/index.js';

/** What one board's detection runs on: the scorer, the features it reads, and the sensor checks. */
export interface DetectionPlan {
  scorer: WindowScorer;
  pipeline: FeaturePipeline;
  checks: ChannelMeta[];
  /** The sensor alerts name: the one whose channels the model reads. */
  sensor: string;
  model: { sidecar: ModelSidecar } | null;
}

/**
 * Which scorer a model folder runs with: `auto` takes the int8 conversion when the folder has one;
 * `int8-exact` runs it in the boards' runtime compiled to WebAssembly (their arithmetic, bit for bit).
 */
export type ModelScorer = 'auto' | 'float' | 'int8' | 'int8-exact';

const cache = new Map<string, Promise<WindowScorer>>();

/** A model, loaded once however many boards use it (scoring is synchronous per batch, so it is shared). */
function modelScorer(dir: string, kind: 'float' | 'int8' | 'int8-exact'): Promise<WindowScorer> {
  const key = `${kind}:${dir}`;
  let p = cache.get(key);
  if (!p) {
    // The float scorer runs tfjs Layers (tens of MiB): loaded only for a board that uses it.
    p =
      kind !== 'float'
        ? Int8AutoencoderScorer.open(dir, { exact: kind === 'int8-exact' })
        : import('../detect/float-scorer.js').then((m) => m.FloatAutoencoderScorer.fromDir(dir));
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Drop loaded models (tests, shutdown). */
export function forgetModels(): void {
  for (const p of cache.values()) p.then((s) => s.dispose?.()).catch(() => {});
  cache.clear();
}

/**
 * The model's own pipeline when a board has a model; otherwise the rolling baseline over the first
 * sensor's channels, so a board without a model is still watched.
 */
export async function planDetection(
  boardId: string,
  channels: ChannelInfo[],
  samplingRateHz: number,
  modelDir: string | undefined,
  use: ModelScorer = 'auto',
): Promise<DetectionPlan> {
  if (modelDir) {
    const kind = use === 'auto' ? (existsSync(join(modelDir, MODEL_FILES.int8)) ? 'int8' : 'float') : use;
    const scorer = await modelScorer(modelDir, kind);
    const { sidecar } = loadSidecar(modelDir);
    if (Math.abs(sidecar.features.sampleRateHz - samplingRateHz) > 1e-9) {
      throw new TinygateError(
        'MODEL_RATE_MISMATCH',
        `board ${boardId}: the model ${sidecar.model.id} was trained on ${sidecar.features.sampleRateHz} Hz data, the board samples at ${samplingRateHz} Hz`,
        {
          hint: `Set samplingRateHz: ${sidecar.features.sampleRateHz} for this board, or train a model at its rate.`,
        },
      );
    }
    const sensor = channels.find((c) => c.name === sidecar.features.channels[0]!.name)?.sensor ?? 'unknown';
    return { scorer, pipeline: sidecar.features, checks: sidecar.checks, sensor, model: { sidecar } };
  }
  const first = channels[0]!.sensor;
  const own = channels.filter((c) => c.sensor === first);
  const size = Math.max(64, 2 ** Math.round(Math.log2(samplingRateHz)));
  const pipeline = FeaturePipeline.parse({
    sampleRateHz: samplingRateHz,
    window: { size, hop: size / 2 },
    channels: own.map((c) => ({ name: c.name, features: ['rms', 'peak', 'crest', 'kurtosis'] })),
  });
  return { scorer: new BaselineScorer(), pipeline, checks: own.map(channelMeta), sensor: first, model: null };
}
