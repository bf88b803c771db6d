import {
  BaselineScorer,
  FloatAutoencoderScorer,
  type LoadedModel,
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
  model: LoadedModel | null;
}

const cache = new Map<string, Promise<FloatAutoencoderScorer>>();

/** A float model folder, loaded once however many boards use it (the scorer is stateless). */
function floatScorer(dir: string): Promise<FloatAutoencoderScorer> {
  let p = cache.get(dir);
  if (!p) {
    p = FloatAutoencoderScorer.fromDir(dir);
    cache.set(dir, p);
    p.catch(() => cache.delete(dir));
  }
  return p;
}

/** Drop loaded models (tests, shutdown). */
export function forgetModels(): void {
  for (const p of cache.values()) p.then((s) => s.dispose()).catch(() => {});
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
): Promise<DetectionPlan> {
  if (modelDir) {
    const scorer = await floatScorer(modelDir);
    const { sidecar } = scorer.loaded;
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
    return { scorer, pipeline: sidecar.features, checks: sidecar.checks, sensor, model: scorer.loaded };
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
