import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { loadBoards } from '../boards/index.js';
import { TinygateError } from '../errors/index.js';
import { mqttConfigSchema, WebhookConfig } from '../publish/index.js';
import { AdcSpec, SensorSpec } from '../sensing/index.js';

const Id = z.string().regex(/^[a-z][a-z0-9_-]*$/i, 'letters, digits, _ or -, starting with a letter');

/** A board simulated on this machine: the C firmware bridge on a pty (`host`) or in memory (`js`). */
const VirtualBoardConfig = z
  .object({
    scenario: z
      .string()
      .min(1)
      .describe('a shipped scenario name (see `tinygate sim data --list`) or a file'),
    firmware: z.enum(['host', 'js']).default('host'),
  })
  .strict();

const DebounceConfig = z.object({ k: z.number().int().positive(), n: z.number().int().positive() }).strict();

export const BoardConfig = z
  .object({
    id: Id,
    name: z.string().min(1).optional(),
    profile: z.string().min(1).describe('board profile id from boards/ (sizes the model for this board)'),
    port: z.string().min(1).optional().describe('serial port path, e.g. /dev/ttyACM0'),
    baud: z.number().int().positive().optional().describe('default: the profile’s UART default'),
    virtual: VirtualBoardConfig.optional(),
    samplingRateHz: z.number().positive().max(1000).default(100),
    adc: AdcSpec.optional(),
    sensors: z.array(SensorSpec).min(1),
    model: z.string().min(1).optional().describe('model folder (from `tinygate train`); none: baseline only'),
    inference: z
      .enum(['gateway', 'board'])
      .default('gateway')
      .describe(
        'where the model runs: the gateway (TFLite interpreter) or the board (firmware-bridge int8 runtime; the gateway scores a window the board fails)',
      ),
    sensorChecks: z
      .record(z.string(), z.enum(['on', 'off']))
      .optional()
      .describe(
        'per sensor name, on (default) or off: off scores every window of that sensor without the sensor checks',
      ),
    learn: z
      .object({
        seconds: z
          .number()
          .positive()
          .describe(
            'stream time to learn over (at least 251 windows are learned too: 151 to fit, 100 held back for the gate)',
          ),
        falseAlarmsPerDay: z.number().positive().default(1),
        keepVersions: z
          .number()
          .int()
          .min(2)
          .default(5)
          .describe('learned model versions kept for rollback (the one in force is always kept)'),
      })
      .strict()
      .optional()
      .describe(
        "learn this machine's own model on site: its first windows are scored without machine alarms, then its threshold is set at the false-alarm rate and a worker thread learns its model (a new version, live once it passes the gate)",
      ),
    drift: z
      .object({
        hours: z.number().positive().default(6),
        ratio: z.number().gt(1).default(2),
        relearn: z.boolean().default(false),
      })
      .strict()
      .default({ hours: 6, ratio: 2, relearn: false })
      .describe(
        'report a lasting move of the normal score level (ratio× off for hours, no machine alarm) as "normal may have changed: re-learn?"; relearn: true re-learns by itself',
      ),
    scorer: z
      .enum(['auto', 'float', 'int8', 'int8-exact'])
      .default('auto')
      .describe(
        'gateway inference: the int8 conversion in the TFLite interpreter (auto: when the model folder has one), the float model, or int8-exact: the int8 conversion in the boards’ own runtime compiled to WebAssembly, scoring exactly as a board does',
      ),
  })
  .strict()
  .superRefine((b, ctx) => {
    for (const name of Object.keys(b.sensorChecks ?? {})) {
      if (!b.sensors.some((s) => s.name === name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sensorChecks', name],
          message: `no sensor named ${name} on this board (its sensors: ${b.sensors.map((s) => s.name).join(', ')})`,
        });
      }
    }
    if ((b.port === undefined) === (b.virtual === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: 'give either port (a real board) or virtual, not both or neither',
      });
    }
    if (b.inference === 'board') {
      // The board runs the int8 conversion of a model through the firmware-bridge's runtime.
      if (b.model === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['inference'],
          message:
            'inference: board needs a model (the board runs its int8 conversion); set model, or use gateway',
        });
      if (b.scorer === 'float')
        ctx.addIssue({
          code: 'custom',
          path: ['scorer'],
          message:
            'inference: board runs the int8 model, so scorer: float does not apply; remove it or use auto/int8',
        });
      if (b.virtual?.firmware === 'js')
        ctx.addIssue({
          code: 'custom',
          path: ['virtual', 'firmware'],
          message:
            'inference: board needs the firmware-bridge runtime; the js virtual board has none (use firmware: host)',
        });
    }
  });
export type BoardConfig = z.output<typeof BoardConfig>;

/** `mqtt.journal` is optional in a gateway config: it defaults to `<dataDir>/journal`. */
function defaultJournal(input: unknown): unknown {
  if (!input || typeof input !== 'object') return input;
  const c = input as { gateway?: { dataDir?: unknown }; mqtt?: unknown };
  if (!c.mqtt || typeof c.mqtt !== 'object' || 'journal' in c.mqtt) return input;
  const dataDir = typeof c.gateway?.dataDir === 'string' ? c.gateway.dataDir : '.tinygate';
  return { ...c, mqtt: { ...c.mqtt, journal: { path: `${dataDir}/journal` } } };
}

const GatewayConfigObject = z
  .object({
    gateway: z
      .object({
        id: Id.default('gateway'),
        dataDir: z
          .string()
          .min(1)
          .default('.tinygate')
          .describe('journal, converted models, host-board flash'),
      })
      .strict()
      .default({ id: 'gateway', dataDir: '.tinygate' }),
    boards: z.array(BoardConfig).min(1),
    detector: z
      .object({
        debounce: DebounceConfig.optional(),
        sensorDebounce: DebounceConfig.optional(),
        hysteresis: z
          .object({ clearRatio: z.number().positive().max(1), clearWindows: z.number().int().positive() })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    mqtt: mqttConfigSchema.optional().describe('default: embedded broker, journal in <dataDir>/journal'),
    webhooks: z
      .array(WebhookConfig)
      .default([])
      .describe('each alert POSTed to each URL, from the same journal, retried until a 2xx (docs/mqtt.md)'),
    dashboard: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 8080 }),
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .strict()
      .default({ level: 'info', format: 'auto' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const hooks = new Set<string>();
    c.webhooks.forEach((w, i) => {
      if (hooks.has(w.id))
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', i, 'id'],
          message: `duplicate webhook id "${w.id}"`,
        });
      hooks.add(w.id);
    });
    const seen = new Set<string>();
    c.boards.forEach((b, i) => {
      if (seen.has(b.id))
        ctx.addIssue({ code: 'custom', path: ['boards', i, 'id'], message: `duplicate board id "${b.id}"` });
      seen.add(b.id);
    });
  });
export const GatewayConfig = z.preprocess(defaultJournal, GatewayConfigObject);
export type GatewayConfigInput = z.input<typeof GatewayConfigObject>;
export type GatewayConfig = z.output<typeof GatewayConfig>;

/** Parse a gateway config from YAML text; every error names the file, the line and the field. */
export function parseGatewayConfig(text: string, file: string): GatewayConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const { line, col } = lines.linePos(e.pos[0]);
    throw new TinygateError(
      'CONFIG_INVALID',
      `${file}:${line}:${col}: not valid YAML (${e.message.split('\n')[0]})`,
      {
        hint: 'Fix the YAML syntax at that line (indentation and colons are the usual suspects).',
      },
    );
  }
  const result = GatewayConfig.safeParse(doc.toJS());
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.map(String);
      return `${file}:${lineOf(doc, lines, issue.path)}: ${path.join('.') || '(top level)'}: ${issue.message}`;
    });
    throw new TinygateError('CONFIG_INVALID', problems.join('\n'), {
      hint: 'Correct the named fields; README.md ("Config reference") lists every field.',
      details: {
        file,
        issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    });
  }
  const known = new Set(loadBoards().map((b) => b.id));
  result.data.boards.forEach((b, i) => {
    if (!known.has(b.profile)) {
      throw new TinygateError(
        'CONFIG_INVALID',
        `${file}:${lineOf(doc, lines, ['boards', i, 'profile'])}: boards.${i}.profile: no board profile "${b.profile}"`,
        { hint: `Known profiles: ${[...known].join(', ')}.` },
      );
    }
  });
  return result.data;
}

/** Read and validate a gateway config file; relative paths inside it resolve against its folder. */
export function loadGatewayConfig(file: string): { config: GatewayConfig; baseDir: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TinygateError('CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`, {
      hint: 'Check the path given to --config.',
    });
  }
  return { config: parseGatewayConfig(text, file), baseDir: dirname(resolve(file)) };
}

export function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

// The deepest node of the path that exists gives the line: a missing field points at its parent.
function lineOf(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: PropertyKey[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}
