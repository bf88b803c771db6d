import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SerialPort } from 'serialport';
import { parse as parseYaml } from 'yaml';
import { TinygateError } from '../errors/index.js';
import {
  BoardSession,
  channelMeta,
  type SensorSpecInput,
  type TransportFactory,
  writeRecordingMeta,
} from '../sensing/index.js';
import { resolveScenario, VirtualFirmataBoard } from '../sim/index.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface RecordOptions extends JsonFlag {
  port?: string;
  baud: string;
  scenario?: string;
  sensors?: string;
  board: string;
  rate: string;
  duration: string;
  output: string;
  connectTimeout: string;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description(
      'record a board’s sensors through johnny-five to CSV (gateway timestamps), for training and eval',
    )
    .option('--port <path>', 'serial port of a board running Firmata (e.g. /dev/ttyACM0)')
    .option('--baud <rate>', 'serial baud rate', '57600')
    .option(
      '--scenario <name|file>',
      'record the in-memory virtual board playing this scenario instead of a port',
    )
    .option(
      '--sensors <file>',
      'YAML/JSON list of sensor specs (default with --scenario: the scenario’s sensors)',
    )
    .option('--board <id>', 'board id', 'board-1')
    .option('--rate <hz>', 'sampling rate (Firmata sampling interval = 1000/rate ms)', '1000')
    .requiredOption('--duration <seconds>', 'how long to record')
    .option('--connect-timeout <seconds>', 'give up when no board streams within this long', '15')
    .requiredOption('-o, --output <file.csv>', 'CSV to write (a .channels.json sidecar goes next to it)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: RecordOptions) => {
        if (!!opts.port === !!opts.scenario) {
          throw new TinygateError('USAGE', 'record needs exactly one of --port or --scenario', {
            hint: 'A real board: --port /dev/ttyACM0 --sensors sensors.yaml; no hardware: --scenario healthy.',
          });
        }
        const durationS = Number(opts.duration);
        const rate = Number(opts.rate);
        if (!(durationS > 0) || !(rate > 0)) {
          throw new TinygateError('USAGE', '--duration and --rate must be positive numbers', {
            hint: 'e.g. --duration 60 --rate 1000',
          });
        }
        const scenario = opts.scenario ? resolveScenario(opts.scenario) : null;
        // The in-memory board emulates analog pins and the MPU6050; the BME280 needs the host bridge board.
        const dropped =
          !opts.sensors && scenario
            ? scenario.sensors.filter((s) => s.type === 'thermometer' && s.controller === 'BME280')
            : [];
        const sensors: SensorSpecInput[] | null = opts.sensors
          ? readSensors(opts.sensors)
          : (scenario?.sensors.filter((s) => !dropped.includes(s)) ?? null);
        if (!sensors) {
          throw new TinygateError('USAGE', 'recording a port needs --sensors', {
            hint: 'Write the sensor specs (see docs/detection.md, "Sensors") to a YAML file and pass --sensors.',
          });
        }
        const openTransport: TransportFactory = scenario
          ? () => new VirtualFirmataBoard({ scenario }).transport
          : () => new SerialPort({ path: opts.port!, baudRate: Number(opts.baud) });
        const file = resolve(opts.output);
        const fd = openSync(file, 'w');
        let rows = 0;
        let firstTs = Number.NaN;
        let buf = '';
        let session: BoardSession | null = null;
        const latest: number[] = [];
        try {
          session = new BoardSession({
            config: { id: opts.board, samplingRateHz: rate, sensors },
            openTransport,
            onSample: (ch, value, ts) => {
              latest[ch] = value;
              // One row per report of the first channel, holding the others' latest. Rows start once every
              // channel has spoken, or after a second (a silent channel then stays blank and is reported).
              if (ch !== 0) return;
              if (Number.isNaN(firstTs)) firstTs = ts;
              const all = session!.channels.every((_, i) => latest[i] !== undefined);
              if (rows === 0 && !all && ts - firstTs < 1000) return;
              // t is board time (report n at n × interval): arrival times jitter, the board's sampling does not.
              buf += `${((rows * session!.samplingIntervalMs) / 1000).toFixed(6)},${ts.toFixed(3)},${session!.channels.map((_, i) => latest[i] ?? '').join(',')}\n`;
              rows++;
              if (buf.length > 1 << 16) {
                writeSync(fd, buf);
                buf = '';
              }
            },
          });
          writeSync(fd, `t,ts,${session.channels.map((c) => c.name).join(',')}\n`);
          const states: string[] = [];
          session.on('state', (c) => states.push(`${c.state}: ${c.reason}`));
          session.start();
          try {
            await session.waitFor('streaming', Number(opts.connectTimeout) * 1000);
          } catch {
            throw new TinygateError(
              'RECORD_NO_BOARD',
              `no Firmata board streamed on ${opts.port ?? 'the virtual board'} within ${opts.connectTimeout} s (${states.at(-1) ?? 'no answer'})`,
              {
                hint: 'Check the port and baud rate, and that the board runs Firmata (or the tinygate bridge).',
              },
            );
          }
          const bar = progressBar('record', Math.round(durationS), 's');
          const start = Date.now();
          await new Promise<void>((done) => {
            const timer = setInterval(() => {
              const s = (Date.now() - start) / 1000;
              bar.update(Math.floor(s), session!.state);
              if (s >= durationS) {
                clearInterval(timer);
                done();
              }
            }, 250);
          });
          bar.stop();
          await session.stop();
          writeSync(fd, buf);
        } finally {
          if (session && session.state !== 'stopped') await session.stop();
          closeSync(fd);
        }
        const meta = writeRecordingMeta(file, {
          source: 'record',
          rateHz: 1000 / session.samplingIntervalMs,
          channels: session.channels.map(channelMeta),
          board: opts.board,
        });
        const silent = session.channels.filter((_, i) => session.counts[i] === 0).map((c) => c.name);
        const doc = {
          file,
          metaFile: meta,
          rows,
          durationS,
          channels: session.channels.map((c) => c.name),
          silentChannels: silent,
          notEmulated: dropped.map((s) => s.name),
          reconnects: session.reconnects,
        };
        report(opts, doc, () =>
          [
            `recorded ${rows} rows from ${opts.port ?? `virtual board (${opts.scenario})`} to ${file}`,
            ...(silent.length
              ? [`warning: no samples from ${silent.join(', ')} (their cells are blank)`]
              : []),
            ...(dropped.length
              ? [`note: the in-memory board has no BME280; left out ${dropped.map((s) => s.name).join(', ')}`]
              : []),
          ].join('\n'),
        );
      }),
    );
}

function readSensors(file: string): SensorSpecInput[] {
  let doc: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new TinygateError(
      'SENSORS_UNREADABLE',
      `${file}: cannot read sensor specs (${(cause as Error).message})`,
      {
        hint: 'A YAML or JSON list of sensor specs; see docs/detection.md ("Sensors").',
        cause,
      },
    );
  }
  const list = Array.isArray(doc) ? doc : (doc as { sensors?: unknown })?.sensors;
  if (!Array.isArray(list)) {
    throw new TinygateError(
      'SENSORS_INVALID',
      `${file}: expected a list of sensor specs (or { sensors: [...] })`,
      {
        hint: 'See docs/detection.md ("Sensors").',
      },
    );
  }
  return list as SensorSpecInput[];
}
