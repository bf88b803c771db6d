import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import type { LearnStatus } from '../learn/board-learner.js';
import type { ModelVersion } from '../learn/model-versions.js';
import { table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

const DEFAULT_URL = 'http://127.0.0.1:8080';

interface GatewayFlag extends JsonFlag {
  url: string;
}

/** `tinygate learn <board>`: a command to a running gateway (`tinygate run`), over its dashboard's HTTP API. */
export function registerLearn(program: Command): void {
  program
    .command('learn <board>')
    .description(
      "tell the running gateway to learn a board's normal afresh (after maintenance or a process change)",
    )
    .option(
      '--force',
      'learn even while the board is in a machine alarm (it would learn the fault as normal)',
    )
    .option('--wait', 'wait until the new model is learned and show its outcome')
    .option('--url <url>', "the gateway's dashboard address", DEFAULT_URL)
    .option('--json', 'print one JSON document')
    .action(
      action(async (board: string, opts: GatewayFlag & { force?: boolean; wait?: boolean }) => {
        const started = await call<LearnStatus>(opts.url, 'POST', `/api/boards/${board}/learn`, {
          force: opts.force === true,
        });
        const status = opts.wait ? await waitLearned(opts.url, board, started) : started;
        report(opts, status, () => renderLearn(board, status, opts.wait === true));
      }),
    );
}

/** `tinygate models <board> [--rollback [version]]`. */
export function registerModels(program: Command): void {
  program
    .command('models <board>')
    .description("list a board's learned model versions on the running gateway, or roll back to one")
    .option(
      '--rollback [version]',
      'put a version back in force (default: the one before; 0 = the configured model)',
    )
    .option('--url <url>', "the gateway's dashboard address", DEFAULT_URL)
    .option('--json', 'print one JSON document')
    .action(
      action(async (board: string, opts: GatewayFlag & { rollback?: string | true }) => {
        if (opts.rollback !== undefined) {
          const version = opts.rollback === true ? undefined : Number(opts.rollback);
          if (version !== undefined && !Number.isInteger(version)) {
            throw new TinygateError('CLI_BAD_OPTION', `--rollback ${opts.rollback}: not a version number`, {
              hint: 'Give a version from `tinygate models <board>`, or 0 for the configured model.',
            });
          }
          const r = await call<{ version: number }>(opts.url, 'POST', `/api/boards/${board}/rollback`, {
            version,
          });
          report(opts, r, () =>
            r.version === 0
              ? `${board}: its configured model is in force`
              : `${board}: version ${r.version} is in force`,
          );
          return;
        }
        const list = await call<ModelVersion[]>(opts.url, 'GET', `/api/boards/${board}/models`);
        report(opts, list, () => renderModels(board, list));
      }),
    );
}

async function call<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  } catch (err) {
    throw new TinygateError(
      'GATEWAY_UNREACHABLE',
      `no gateway answers at ${base} (${(err as Error).cause ?? (err as Error).message})`,
      {
        hint: 'Start it with `tinygate run` (its dashboard must be enabled), or point --url at its dashboard address.',
      },
    );
  }
  const doc = (await res.json()) as {
    ok: boolean;
    result?: T;
    error?: { code: string; message: string; hint?: string };
  };
  if (!doc.ok) {
    const e = doc.error ?? { code: 'GATEWAY_ERROR', message: `HTTP ${res.status}` };
    throw new TinygateError(e.code, e.message, e.hint ? { hint: e.hint } : {});
  }
  return doc.result as T;
}

// Learning is watched through /api/status until the board is back to watching with a new outcome.
async function waitLearned(url: string, board: string, started: LearnStatus): Promise<LearnStatus> {
  const bar = progressBar(`learning ${board}`, 100, '%');
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const res = await fetch(new URL('/api/status', url));
      const s = (await res.json()) as { boards: { id: string; learning: LearnStatus | null }[] };
      const l = s.boards.find((b) => b.id === board)?.learning;
      if (!l) return started;
      bar.update(Math.round(l.progress * 100), `${l.state}, ${l.windows}/${l.needWindows} windows`);
      if (l.state === 'watching' && l.last && l.last.at !== started.last?.at) return l;
    }
  } finally {
    bar.stop();
  }
}

function renderLearn(board: string, s: LearnStatus, waited: boolean): string {
  if (waited && s.last) return `${board}: ${s.last.message}`;
  return `${board}: learning its normal (at least ${s.needWindows} windows${s.needSeconds ? ` and ${s.needSeconds} s` : ''}); no machine alarms until it is done. Follow it with tinygate learn ${board} --wait, /health or the board's MQTT state.`;
}

function renderModels(board: string, list: ModelVersion[]): string {
  if (list.length === 0) return `${board}: no learned models yet (it runs its configured model)`;
  return table(
    ['version', 'in force', 'learned', 'windows', 'threshold', 'int8', 'gate'],
    list.map((v) => [
      String(v.version),
      v.active ? 'yes' : '',
      v.createdAt?.slice(0, 19).replace('T', ' ') ?? '',
      String(v.windows),
      v.threshold.toPrecision(4),
      v.int8Bytes === null ? '' : `${v.int8Bytes} B`,
      v.gate
        ? `${v.gate.passed ? 'passed' : 'failed'} (${v.gate.expectedAlarmsPerDay.toPrecision(2)}/day, target ${v.gate.target})`
        : '',
    ]),
  );
}
