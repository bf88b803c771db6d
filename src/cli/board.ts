import type { Command } from 'commander';
import {
  activeSlot,
  boardInfo,
  modelInfo,
  openLink,
  type RuntimeStatus,
  runtimeStatus,
  type StreamScore,
  startStream,
} from '../link/index.js';
import { builtinOpName } from '../tflite/ops.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';

interface BoardOptions extends JsonFlag {
  port: string;
  baud: string;
}

export function registerBoard(program: Command): void {
  const board = program.command('board').description('talk to a board running the tinygate firmware-bridge');
  board
    .command('info')
    .description(
      'what the board is: firmware and protocol version, memory budget, model slots, runtime status',
    )
    .requiredOption('--port <path>', 'serial port, e.g. /dev/ttyACM0 or the pty of `tinygate sim board`')
    .option('--baud <n>', 'baud rate', '115200')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: BoardOptions) => {
        const link = await openLink({ path: opts.port, baudRate: Number(opts.baud) });
        try {
          const info = await boardInfo(link);
          const models = await modelInfo(link);
          // The runtime's own view: the active model it prepared, its planned arena, or why it refused it.
          const runtime = info.features.runtime ? await runtimeStatus(link) : null;
          const doc = {
            port: opts.port,
            ...info,
            runtimeKernels: info.runtimeKernels?.map(builtinOpName) ?? null,
            activeSlot: models.activeSlot,
            slots: models.slots.map((s) => ({
              slot: s.slot,
              state: s.state,
              length: s.length,
              crc32: s.crc32,
              sequence: s.sequence,
              active: s.active,
            })),
            runtime,
          };
          report(opts, doc, () => {
            const a = activeSlot(models);
            return [
              `${info.boardId} on ${opts.port}: firmware ${info.firmwareVersion}, protocol ${info.protocolVersion}`,
              `flash ${formatBytes(info.flashBytes)}, RAM ${formatBytes(info.ramBytes)}, arena ${formatBytes(info.arenaBytes)}, RX buffer ${info.rxBufferBytes} B, ${info.slotCount} slots of ${formatBytes(info.slotBytes)}`,
              table(
                ['slot', 'state', 'bytes', 'CRC-32', 'sequence', 'active'],
                models.slots.map((s) => [
                  String(s.slot),
                  s.state,
                  String(s.length),
                  `0x${s.crc32.toString(16).padStart(8, '0')}`,
                  String(s.sequence),
                  s.active ? 'yes' : '',
                ]),
              ),
              a ? `active model: slot ${a.slot}, ${a.length} bytes` : 'no model on the board yet',
              runtimeLine(runtime, info.arenaBytes),
              ...(info.runtimeKernels
                ? [`runtime kernels: ${info.runtimeKernels.map(builtinOpName).join(', ')}`]
                : []),
            ].join('\n');
          });
        } finally {
          await link.close();
        }
      }),
    );
}

function runtimeLine(r: RuntimeStatus | null, arenaBytes: number): string {
  if (!r) return 'runtime: not in this firmware (it stores models; the gateway scores them)';
  if (r.state === 'no-model') return 'runtime: ready, no model to run';
  if (r.state === 'error') return `runtime: refused the active model: ${r.error}`;
  return `runtime: runs the active model: ${r.ops} ops, arena + tables ${r.usedBytes.toLocaleString('en-US')} B of ${formatBytes(arenaBytes)} (activations ${r.arenaBytes} B, tables ${r.tablesBytes} B), input ${r.inputBytes} B, output ${r.outputBytes} B`;
}

interface StreamCliOptions extends BoardOptions {
  channels: string;
  interval: string;
  hop: string;
  score: string;
  gain: string;
  offset: string;
  count: string;
}

/** `board stream`: the board scores its own sensor windows; prints each score, or a summary with --json. */
export function registerBoardStream(program: Command): void {
  const board = program.commands.find((c) => c.name() === 'board')!;
  board
    .command('stream')
    .description(
      'streaming mode: the board samples its analog channels, runs its model on each window and sends the score',
    )
    .requiredOption('--port <path>', 'serial port of a board running the firmware-bridge with the runtime')
    .option('--baud <n>', 'baud rate', '115200')
    .option(
      '--channels <list>',
      'ADC channels, comma-separated (0 = A0); the model input is [samples][channels]',
      '0',
    )
    .option('--interval <ms>', 'sample interval, ms', '1')
    .option('--hop <n>', 'samples per channel between windows (default: the whole window)', '0')
    .option(
      '--score <kind>',
      'reconstruction (mean squared error, autoencoders) or output (the first output)',
      'reconstruction',
    )
    .option('--gain <x>', 'model input units per ADC count', '1')
    .option('--offset <counts>', 'ADC counts that read as zero', '0')
    .option('--count <n>', 'stop after this many windows', '10')
    .option('--json', 'print one JSON document when done')
    .action(
      action(async (opts: StreamCliOptions) => {
        const channels = opts.channels.split(',').map((c) => Number(c.trim().replace(/^A/i, '')));
        const count = Number(opts.count);
        const link = await openLink({ path: opts.port, baudRate: Number(opts.baud) });
        try {
          const status = await runtimeStatus(link);
          const window = Math.floor(status.inputBytes / Math.max(1, channels.length));
          const hop = Number(opts.hop) || window;
          const scores: StreamScore[] = [];
          const stream = await startStream(link, {
            channels,
            intervalMs: Number(opts.interval),
            hop,
            score: opts.score === 'output' ? 'output' : 'reconstruction',
            gain: Number(opts.gain),
            offset: Number(opts.offset),
          });
          await new Promise<void>((resolve) => {
            const stop = () => resolve();
            process.once('SIGINT', stop);
            stream.on('score', (s) => {
              scores.push(s);
              if (!opts.json)
                process.stdout.write(
                  `window ${s.sequence}: score ${s.score.toPrecision(6)}${s.ok ? '' : ' (failed)'}, ${s.micros} µs\n`,
                );
              if (scores.length >= count) {
                process.off('SIGINT', stop);
                resolve();
              }
            });
          });
          await stream.stop();
          if (opts.json) {
            const micros = scores.map((s) => s.micros).sort((a, b) => a - b);
            report(
              opts,
              {
                port: opts.port,
                channels,
                windowSamples: window,
                hop,
                scores,
                medianMicros: micros[Math.floor(micros.length / 2)] ?? null,
              },
              () => '',
            );
          }
        } finally {
          await link.close();
        }
      }),
    );
}
