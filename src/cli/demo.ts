import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEMO_BOARDS, DEMO_LEARN_S, demoConfig } from '../demo/index.js';
import type { Gateway } from '../gateway/index.js';
import { buildHostFirmware } from '../link/index.js';
import { runGatewaySession } from './gateway-session.js';
import { createCliLogger } from './logger.js';
import { action, type JsonFlag, report } from './output.js';
import { parseDuration, parsePort } from './parse.js';
import { summary } from './run.js';

interface DemoCliOptions extends JsonFlag {
  duration?: string;
  mqttPort: string;
  dashboardPort: string;
  dashboard: boolean;
  dataDir?: string;
  verbose?: boolean;
}

/** Seconds between the one-line score summaries on the terminal. */
const SUMMARY_EVERY_S = 10;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole mission on three virtual boards, an embedded MQTT broker and a live dashboard')
    .option('--duration <seconds>', 'stop by itself after this many seconds (default: until Ctrl-C)')
    .option('--mqtt-port <port>', 'embedded broker port (taken: a free one is used)', '1883')
    .option('--dashboard-port <port>', 'dashboard port on 127.0.0.1 (taken: a free one is used)', '8080')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--data-dir <dir>', 'where the alert journal goes (default: a fresh temporary folder)')
    .option('--verbose', 'also print the gateway log (stderr)')
    .option('--json', 'print one JSON summary on stdout when stopped, nothing else there')
    .action(
      action(async (opts: DemoCliOptions) => {
        const durationS =
          opts.duration === undefined ? undefined : parseDuration(opts.duration, '--duration');
        const mqttPort = await freeOr(parsePort(opts.mqttPort, '--mqtt-port'));
        const dashboardPort = opts.dashboard
          ? await freeOr(parsePort(opts.dashboardPort, '--dashboard-port'))
          : null;
        const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tinygate-demo-'));
        // The C firmware bridge, built on first run; without a C compiler, in-memory boards (and say so).
        let firmware: 'host' | 'js' = 'host';
        let why = '';
        try {
          await buildHostFirmware();
        } catch (err) {
          firmware = 'js';
          why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        }
        const config = demoConfig({ dataDir, mqttPort, dashboardPort, firmware });
        const say = (line: string) => {
          if (!opts.json) process.stdout.write(`${line}\n`);
        };
        const logger = createCliLogger({ level: opts.verbose ? 'info' : 'silent', format: 'auto', fd: 2 });
        const t0 = Date.now();
        const at = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
        let ticker: NodeJS.Timeout | null = null;

        const result = await runGatewaySession({
          config,
          baseDir: process.cwd(),
          logger,
          ...(durationS === undefined ? {} : { durationS }),
          onStarted: (gateway, dashboard) => {
            const mqtt = gateway.status().mqtt.broker;
            say(
              'tinygate demo: three motors watched for vibration anomalies by the shipped motor-vib model (int8, official TFLite interpreter)',
            );
            say(
              firmware === 'host'
                ? '  boards     the tinygate firmware-bridge built for this machine, one process per board on a pty; the int8 model flashed over the link'
                : `  boards     in-memory virtual Firmata boards: the firmware-bridge could not be built (${why}); install make and a C compiler for the real thing`,
            );
            for (const b of gateway.status().boards) {
              const d = b.deployment;
              if (d && 'error' in d) say(`  ${b.id.padEnd(9)}  model not on the board: ${d.error}`);
              else if (d)
                say(
                  `  ${b.id.padEnd(9)}  ${d.flashed ? `flashed ${d.bytes} B in ${d.seconds.toFixed(1)} s` : `already runs the model (${d.bytes} B)`}, slot ${d.slot}, arena ${d.arenaBytes} B`,
                );
            }
            say(
              `  machines   ${DEMO_BOARDS.map((b) => `${b.id}${b.faulty ? ' (bearing fault from 75 s)' : ''}`).join(', ')}`,
            );
            say(
              `  learning   each machine learns its normal for its first ${DEMO_LEARN_S} s and 100 windows (~50 s; no machine alarms meanwhile), then is watched; at ~2 min it learns its own model`,
            );
            if (dashboard) say(`  dashboard  ${dashboard.url}`);
            say(
              `  MQTT       ${mqtt}   watch: mosquitto_sub -h 127.0.0.1 -p ${portOf(mqtt)} -t 'tinygate/#' -v`,
            );
            say(`  journal    ${dataDir}`);
            say(durationS === undefined ? 'Ctrl-C stops.' : `Stopping by itself after ${durationS} s.`);
            wireTerminal(gateway, say, at);
            ticker = setInterval(() => say(`${at()} ${scoreLine(gateway)}`), SUMMARY_EVERY_S * 1000);
          },
        });
        if (ticker) clearInterval(ticker);
        say(
          `${at()} stopped: ${result.status.alerts.total} alert(s), journal flushed, boards published offline`,
        );
        logger.flush();
        if (opts.json) report(opts, { ...summary(result), dataDir }, () => '');
      }),
    );
}

function wireTerminal(gateway: Gateway, say: (line: string) => void, at: () => string): void {
  gateway.on('state', (s) => {
    if (s.state === 'streaming' || s.state === 'lost' || s.state === 'stale')
      say(`${at()} ${s.board} ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
  });
  gateway.on('learned', (l) => say(`${at()} ${l.board}: ${l.message}`));
  gateway.on('alert', (a) =>
    say(
      `${at()} ALERT ${a.kind} anomaly on ${a.board}/${a.sensor}: score ${a.score.toFixed(2)} > ${a.threshold.toFixed(2)}${a.message ? ` — ${a.message}` : ''}`,
    ),
  );
}

function scoreLine(gateway: Gateway): string {
  return gateway
    .status()
    .boards.map((b) => {
      const score = b.score === null ? '–' : b.score.toFixed(2);
      const learning = b.learning?.state === 'learning' && b.learning.windows < 100;
      if (learning) return `${b.id} ${score} learning (${b.learning!.windows}/100 windows)`;
      return `${b.id} ${score}/${b.threshold.toFixed(2)}${b.anomaly ? ' ANOMALY' : ''}${b.learning?.state === 'training' ? ' (learning its model)' : ''}`;
    })
    .join(' · ');
}

function portOf(url: string): string {
  return /:(\d+)/.exec(url.replace(/^mqtts?:\/\//, ''))?.[1] ?? '1883';
}

/** The wanted port if it is free on 127.0.0.1, else 0 (the OS picks): a demo should not fail on a busy 8080. */
function freeOr(port: number): Promise<number> {
  if (port === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen({ host: '127.0.0.1', port }, () => probe.close(() => resolve(port)));
  });
}
