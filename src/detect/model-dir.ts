import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { TinygateError } from '../errors/index.js';
import { FeaturePipeline } from '../sensing/features.js';
import { ChannelCheck } from './sensor-check.js';
// tfjs (≈ 40 MiB) loads only when a Layers model is saved or loaded: the int8 path reads just the sidecar.
import type { tf, tfl } from './tf.js';

/** What travels with a model besides its weights: features, normalization, threshold, checks. */
export const ModelSidecar = z.object({
  format: z.literal('tinygate-model'),
  version: z.literal(1),
  model: z.object({
    id: z.string(),
    /** sha256 (first 16 hex digits) over model.json, weights.bin, features and normalization. */
    hash: z.string(),
    kind: z.enum(['dense-autoencoder', 'conv-autoencoder']),
    inputs: z.number().int().positive(),
    /** Encoder widths down to the bottleneck; the decoder mirrors them unless `layers` says otherwise. */
    hidden: z.array(z.number().int().positive()),
    /** Every layer with weights in order, for models whose decoder does not mirror (pruned, convolutional). */
    layers: z.array(z.object({ type: z.string(), width: z.number().int().positive() })).optional(),
    parameters: z.number().int().nonnegative(),
  }),
  features: FeaturePipeline,
  /** Feature i enters the model as (x − mean[i]) / std[i]. */
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
  /** The score is the mean squared reconstruction error over the normalized features. */
  score: z.literal('mse'),
  threshold: z.object({
    value: z.number(),
    rule: z.union([
      z.object({ method: z.literal('percentile'), p: z.number() }),
      z.object({ method: z.literal('mean-k-sigma'), k: z.number() }),
      z.object({ method: z.literal('false-alarm-rate'), perDay: z.number(), perWindow: z.number() }),
    ]),
    n: z.number().int(),
  }),
  checks: z.array(ChannelCheck),
  training: z.record(z.string(), z.unknown()),
});
export type ModelSidecar = z.infer<typeof ModelSidecar>;

export const MODEL_FILES = {
  topology: 'model.json',
  weights: 'weights.bin',
  sidecar: 'pipeline.json',
  card: 'README.md',
  /** The int8 conversion `tinygate convert` writes into the folder; the gateway's default scorer. */
  int8: 'model.int8.tflite',
};

/** Write the tfjs Layers model (model.json + weights.bin); returns the bytes written for hashing. */
export async function saveLayersModel(
  model: tfl.LayersModel,
  dir: string,
): Promise<{ json: Buffer; weights: Buffer }> {
  const { tf } = await import('./tf.js');
  mkdirSync(dir, { recursive: true });
  let written: { json: Buffer; weights: Buffer } | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = Buffer.from(
        a.weightData instanceof ArrayBuffer
          ? a.weightData
          : tf.io.CompositeArrayBuffer.join(a.weightData as ArrayBuffer[]),
      );
      const doc = {
        format: 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: a.weightSpecs }],
      };
      const json = Buffer.from(`${JSON.stringify(doc)}\n`);
      writeFileSync(join(dir, MODEL_FILES.topology), json);
      writeFileSync(join(dir, MODEL_FILES.weights), weights);
      written = { json, weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return written!;
}

export function modelHash(json: Buffer, weights: Buffer, features: unknown, normalization: unknown): string {
  return createHash('sha256')
    .update(json)
    .update(weights)
    .update(JSON.stringify(features))
    .update(JSON.stringify(normalization))
    .digest('hex')
    .slice(0, 16);
}

export interface LoadedModel {
  dir: string;
  sidecar: ModelSidecar;
  model: tfl.LayersModel;
}

/** Read a model folder written by `tinygate train`; checks the files still match the recorded hash. */
/** A model folder's sidecar, after checking the model files still hash to what it records. No tfjs. */
export function loadSidecar(dirArg: string): {
  dir: string;
  sidecar: ModelSidecar;
  json: Buffer;
  weights: Buffer;
} {
  const dir = resolve(dirArg);
  for (const f of [MODEL_FILES.topology, MODEL_FILES.weights, MODEL_FILES.sidecar]) {
    if (!existsSync(join(dir, f))) {
      throw new TinygateError('MODEL_INCOMPLETE', `${join(dirArg, f)} is missing`, {
        hint: 'Point at a folder written by `tinygate train` (model.json, weights.bin, pipeline.json).',
      });
    }
  }
  const sidecar = readSidecar(join(dir, MODEL_FILES.sidecar));
  const json = readFileSync(join(dir, MODEL_FILES.topology));
  const weights = readFileSync(join(dir, MODEL_FILES.weights));
  const hash = modelHash(json, weights, sidecar.features, sidecar.normalization);
  if (hash !== sidecar.model.hash) {
    throw new TinygateError(
      'MODEL_HASH_MISMATCH',
      `${dirArg}: the model files hash to ${hash}, pipeline.json records ${sidecar.model.hash}`,
      { hint: 'The folder was edited after training; train again or restore the original files.' },
    );
  }
  return { dir, sidecar, json, weights };
}

export async function loadModelDir(dirArg: string): Promise<LoadedModel> {
  const { tf, tfl, tfReady } = await import('./tf.js');
  await tfReady();
  const { dir, sidecar, json, weights } = loadSidecar(dirArg);
  const doc = JSON.parse(json.toString('utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weightSpecs = doc.weightsManifest.flatMap((g) => g.weights);
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: doc.modelTopology,
      weightSpecs,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  return { dir, sidecar, model };
}

function readSidecar(file: string): ModelSidecar {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new TinygateError('MODEL_INVALID', `${file}: not valid JSON`, {
      hint: 'Train the model again.',
      cause,
    });
  }
  const r = ModelSidecar.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TinygateError('MODEL_INVALID', `${file}: ${issue.path.join('.')}: ${issue.message}`, {
      hint: 'Train the model again with this version of tinygate.',
    });
  }
  return r.data;
}

export function writeSidecar(dir: string, sidecar: ModelSidecar): void {
  writeFileSync(join(dir, MODEL_FILES.sidecar), `${JSON.stringify(sidecar, null, 2)}\n`);
}

export function defaultModelId(dir: string): string {
  return basename(resolve(dir));
}
