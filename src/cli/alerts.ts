import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import { readJournal, replayAlerts } from '../publish/index.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';

interface ListOptions extends JsonFlag {
  journal: string;
  unacked?: boolean;
  board?: string;
  limit: string;
}

interface ReplayCliOptions extends JsonFlag {
  journal: string;
  gateway: string;
  url: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  since?: string;
  until?: string;
  board?: string;
}

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('look into the alert journal and send alerts again');

  alerts
    .command('list')
    .description(
      'list the alerts kept in a journal, newest last, and which ones the broker has not acknowledged',
    )
    .requiredOption('--journal <folder>', 'the gateway mqtt.journal.path')
    .option('--unacked', 'only alerts not yet acknowledged by the broker')
    .option('--board <id>', 'only this board')
    .option('--limit <n>', 'show at most the newest n (0: all)', '50')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: ListOptions) => {
        const limit = parseCount('--limit', opts.limit);
        const read = await readJournal(opts.journal);
        const chosen = read.entries.filter(
          (e) => (!opts.unacked || !e.acked) && (!opts.board || e.alert.board === opts.board),
        );
        const shown = limit > 0 ? chosen.slice(-limit) : chosen;
        const unacked = read.entries.filter((e) => !e.acked).length;
        const doc = {
          journal: opts.journal,
          bytes: read.bytes,
          kept: read.entries.length,
          unacked,
          tornRecords: read.tornRecords,
          corruptRecords: read.corruptRecords,
          matching: chosen.length,
          entries: shown.map((e) => ({
            seq: e.seq,
            acked: e.acked,
            journaledAt: e.journaledAt,
            alert: e.alert,
          })),
        };
        report(opts, doc, () => {
          const rows = shown.map((e) => [
            new Date(e.alert.ts).toISOString(),
            e.alert.id,
            e.alert.board,
            `${e.alert.sensor} (${e.alert.kind})`,
            `${e.alert.score.toPrecision(3)} / ${e.alert.threshold.toPrecision(3)}`,
            e.acked ? 'yes' : 'NO',
          ]);
          const summary = `${read.entries.length} alerts kept (${formatBytes(read.bytes)}), ${unacked} not yet acknowledged by the broker`;
          const damage =
            read.tornRecords + read.corruptRecords > 0
              ? `\nskipped: ${read.tornRecords} torn last record, ${read.corruptRecords} damaged records`
              : '';
          const more =
            shown.length < chosen.length
              ? `\n(${chosen.length - shown.length} older not shown; --limit 0 shows all)`
              : '';
          return rows.length
            ? `${table(['raised', 'id', 'board', 'sensor', 'score / threshold', 'delivered'], rows)}${more}\n${summary}${damage}`
            : `no matching alerts\n${summary}${damage}`;
        });
      }),
    );

  alerts
    .command('replay')
    .description(
      'publish journaled alerts again (QoS 1), e.g. after a broker lost messages; consumers dedupe by id',
    )
    .requiredOption('--journal <folder>', 'the gateway mqtt.journal.path')
    .requiredOption('--gateway <id>', 'gateway id used in the topics (tinygate/<gateway>/<board>/alert)')
    .requiredOption('--url <url>', 'broker, mqtt:// or mqtts://')
    .option('--username <name>', 'broker user')
    .option('--password <password>', 'broker password (or set TINYGATE_MQTT_PASSWORD)')
    .option('--ca <file>', 'PEM CA of the broker certificate')
    .option('--cert <file>', 'PEM client certificate')
    .option('--key <file>', 'PEM client key')
    .option('--since <time>', 'only alerts raised at or after this ISO time or epoch ms')
    .option('--until <time>', 'only alerts raised before this ISO time or epoch ms')
    .option('--board <id>', 'only this board')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: ReplayCliOptions) => {
        if (!/^mqtts?:\/\//.test(opts.url)) {
          throw new TinygateError('BAD_URL', `--url ${opts.url} is not an mqtt:// or mqtts:// URL`, {
            hint: 'For example mqtt://192.168.1.10:1883.',
          });
        }
        const result = await replayAlerts({
          journalPath: opts.journal,
          gatewayId: opts.gateway,
          url: opts.url,
          username: opts.username,
          password: opts.password ?? process.env.TINYGATE_MQTT_PASSWORD,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          since: opts.since === undefined ? undefined : parseTime('--since', opts.since),
          until: opts.until === undefined ? undefined : parseTime('--until', opts.until),
          board: opts.board,
        });
        report(
          opts,
          result,
          () =>
            `published ${result.published} alerts to ${result.broker} (MQTT ${result.protocolVersion === 5 ? '5' : '3.1.1'}), acknowledged; ${result.skipped} outside the selection`,
        );
      }),
    );
}

function parseCount(flag: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) {
    throw new TinygateError('BAD_ARGUMENT', `${flag} ${s} is not a whole number`, {
      hint: 'Give 0 or more.',
    });
  }
  return n;
}

function parseTime(flag: string, s: string): number {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) {
    throw new TinygateError('BAD_TIME', `${flag} ${s} is not a time`, {
      hint: 'Give an ISO time such as 2025-03-01T08:00:00Z, or epoch milliseconds.',
    });
  }
  return t;
}
