import type { Command } from 'commander';
import { parseThresholdRule } from '../detect/threshold.js';
import { TRAIN_DEFAULTS } from '../detect/train-defaults.js';
import { TinygateError } from '../errors/index.js';
import { FEATURE_KINDS, type FeatureKind } from '../sensing/features.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface TrainCliOptions extends JsonFlag {
  data: string;
  output: string;
  id?: string;
  channels?: string;
  features?: string;
  window?: string;
  hop?: string;
  bands?: string;
  hidden?: string;
  conv?: string;
  convTaps: string;
  convStride: string;
  epochs?: string;
  patience?: string;
  batch?: string;
  lr?: string;
  validation?: string;
  threshold?: string;
  seed?: string;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train a dense autoencoder on normal data; writes a tfjs Layers model, pipeline.json and a model card',
    )
    .requiredOption('--data <file.csv>', 'normal data from `tinygate sim data` or `tinygate record`')
    .requiredOption('-o, --output <folder>', 'model folder to write (e.g. models/motor-1)')
    .option('--id <name>', 'model id (default: the folder name)')
    .option('--channels <a,b,…>', 'channels to learn from (default: all in the data’s .channels.json)')
    .option(
      '--features <list>',
      `features of moving channels (${FEATURE_KINDS.join(',')}) (default: ${TRAIN_DEFAULTS.features.join(',')}; for data slower than 1 Hz ${TRAIN_DEFAULTS.slowFeatures.join(',')})`,
    )
    .option(
      '--window <n>',
      `samples per window (default: ${TRAIN_DEFAULTS.window}, halved down to 256 until the data gives 200 windows; ${TRAIN_DEFAULTS.slowWindow} for data slower than 1 Hz)`,
    )
    .option('--hop <n>', 'samples between windows (default: half the window)')
    .option('--bands <n>', 'spectral bands', String(TRAIN_DEFAULTS.bands))
    .option('--hidden <widths>', 'encoder widths down to the bottleneck', TRAIN_DEFAULTS.hidden.join(','))
    .option(
      '--conv <filters>',
      'a convolutional autoencoder: Conv1D layers with these filters over the feature vector, then the --hidden dense layers',
    )
    .option('--conv-taps <n>', 'taps of each Conv1D', '3')
    .option('--conv-stride <n>', 'stride of each Conv1D (2 halves the positions)', '2')
    .option('--epochs <n>', 'most epochs', String(TRAIN_DEFAULTS.epochs))
    .option(
      '--patience <n>',
      'stop after this many epochs without a better validation loss',
      String(TRAIN_DEFAULTS.patience),
    )
    .option('--batch <n>', 'batch size', String(TRAIN_DEFAULTS.batchSize))
    .option('--lr <x>', 'Adam learning rate', String(TRAIN_DEFAULTS.learningRate))
    .option(
      '--validation <fraction>',
      'latest fraction of the windows held out',
      String(TRAIN_DEFAULTS.validation),
    )
    .option('--threshold <rule>', 'p<percentile> or mean+<k>sd over validation scores', 'p99.5')
    .option('--seed <n>', 'seed for weights and shuffling', String(TRAIN_DEFAULTS.seed))
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: TrainCliOptions) => {
        const features = (opts.features ? list(opts.features) : undefined)?.map((f) => {
          if (!(FEATURE_KINDS as readonly string[]).includes(f)) {
            throw new TinygateError('USAGE', `--features: "${f}" is not a feature`, {
              hint: `Choose from ${FEATURE_KINDS.join(', ')}.`,
            });
          }
          return f as FeatureKind;
        });
        // tfjs loads only for the commands that need it, so the rest of the CLI starts fast.
        const { trainModel } = await import('../detect/train.js');
        let bar: ReturnType<typeof progressBar> | null = null;
        const result = await trainModel({
          data: opts.data,
          out: opts.output,
          id: opts.id,
          channels: opts.channels ? list(opts.channels) : undefined,
          features,
          window: opts.window ? int(opts.window, '--window') : undefined,
          hop: opts.hop ? int(opts.hop, '--hop') : undefined,
          bands: int(opts.bands!, '--bands'),
          hidden: list(opts.hidden!).map((h) => int(h, '--hidden')),
          ...(opts.conv
            ? {
                conv: {
                  filters: list(opts.conv).map((f) => int(f, '--conv')),
                  taps: int(opts.convTaps, '--conv-taps'),
                  stride: int(opts.convStride, '--conv-stride'),
                },
              }
            : {}),
          epochs: int(opts.epochs!, '--epochs'),
          patience: int(opts.patience!, '--patience'),
          batchSize: int(opts.batch!, '--batch'),
          learningRate: num(opts.lr!, '--lr'),
          validation: num(opts.validation!, '--validation'),
          threshold: parseThresholdRule(opts.threshold!),
          seed: int(opts.seed!, '--seed'),
          command: `tinygate ${process.argv.slice(2).join(' ')}`,
          onStage: (stage, total) => {
            bar?.stop();
            bar =
              stage === 'threshold'
                ? null
                : progressBar(
                    stage === 'features' ? 'features' : 'training',
                    total,
                    stage === 'features' ? 'windows' : 'epochs',
                  );
          },
          onProgress: (done, info) =>
            bar?.update(done, info ? `loss ${info.loss?.toFixed(4)} val ${info.valLoss?.toFixed(4)}` : ''),
        });
        (bar as ReturnType<typeof progressBar> | null)?.stop();
        report(opts, result, () =>
          [
            ...result.picked.map((p) => `picked ${p}`),
            `model ${result.id} (hash ${result.hash}) written to ${result.dir}`,
            `  ${result.features.length} features, ${result.windows.train} training + ${result.windows.validation} validation windows (${result.windows.dropped} dropped)`,
            `  ${result.epochs} epochs (best ${result.bestEpoch}), validation loss ${result.valLoss.toPrecision(4)}, threshold ${result.threshold.toPrecision(4)}`,
            `  model card: ${result.dir}/README.md`,
          ].join('\n'),
        );
      }),
    );
}

function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function num(s: string, flag: string): number {
  const v = Number(s);
  if (!Number.isFinite(v))
    throw new TinygateError('USAGE', `${flag} "${s}" is not a number`, { hint: `Give ${flag} a number.` });
  return v;
}

function int(s: string, flag: string): number {
  const v = num(s, flag);
  if (!Number.isInteger(v) || v < 0)
    throw new TinygateError('USAGE', `${flag} "${s}" is not a whole number`, {
      hint: `Give ${flag} a whole number.`,
    });
  return v;
}
