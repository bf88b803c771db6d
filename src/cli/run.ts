import type { Command } from 'commander';
import { loadGatewayConfig } from '../gateway/index.js';
import { runGatewaySession, type SessionResult } from './gateway-session.js';
import { createCliLogger, type LogFormat } from './logger.js';
import { action, type JsonFlag, report } from './output.js';
import { parseDuration } from './parse.js';

interface RunOptions extends JsonFlag {
  config: string;
  duration?: string;
  logLevel?: string;
  logFormat?: LogFormat;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the gateway from a config file until Ctrl-C (SIGINT) or SIGTERM')
    .requiredOption('-c, --config <file>', 'gateway.yaml (see "Config reference" in README.md)')
    .option('--duration <seconds>', 'stop by itself after this many seconds')
    .option('--log-level <level>', 'trace, debug, info, warn or error (default: the config’s log.level)')
    .option('--log-format <format>', 'auto, json or pretty (default: the config’s log.format)')
    .option('--json', 'logs as JSON on stderr, and one JSON summary on stdout when stopped')
    .action(
      action(async (opts: RunOptions) => {
        const durationS =
          opts.duration === undefined ? undefined : parseDuration(opts.duration, '--duration');
        const { config, baseDir } = loadGatewayConfig(opts.config);
        const logger = createCliLogger({
          level: opts.logLevel ?? config.log.level,
          format: opts.json ? 'json' : (opts.logFormat ?? config.log.format),
          fd: opts.json ? 2 : 1,
        });
        const result = await runGatewaySession({
          config,
          baseDir,
          logger,
          ...(durationS === undefined ? {} : { durationS }),
          onStarted: (gateway, dashboard) => {
            const s = gateway.status();
            logger.info(
              { boards: s.boards.map((b) => b.id), mqtt: s.mqtt.broker, dashboard: dashboard?.url ?? null },
              `gateway ${s.gateway} running: ${s.boards.length} board(s), MQTT ${s.mqtt.broker}` +
                (dashboard ? `, dashboard ${dashboard.url} (health: ${dashboard.url}/health)` : ''),
            );
          },
        });
        logger.info({ stoppedBy: result.stoppedBy }, 'gateway stopped: journal flushed, offline published');
        logger.flush();
        if (opts.json) report(opts, summary(result), () => '');
      }),
    );
}

/** What a script wants to know after a run: how it ended, each board's counts, and the alerts. */
export function summary(r: SessionResult) {
  return {
    gateway: r.status.gateway,
    stoppedBy: r.stoppedBy,
    uptimeS: r.status.uptimeS,
    dashboard: r.dashboard,
    mqtt: {
      broker: r.status.mqtt.broker,
      delivered: r.status.mqtt.delivered,
      journal: r.status.mqtt.journal,
    },
    boards: r.status.boards.map((b) => ({
      id: b.id,
      state: b.state,
      windows: b.windows,
      inference: b.inference,
      model: b.model,
      ...(b.learning
        ? { learning: { state: b.learning.state, version: b.learning.version, last: b.learning.last } }
        : {}),
      ...(b.boardInference
        ? {
            onBoard: {
              windows: b.boardInference.onBoard,
              meanMicros: b.boardInference.meanMicros,
              fellBack: b.boardInference.fellBack,
              lastError: b.boardInference.lastError,
            },
          }
        : {}),
    })),
    alerts: { total: r.status.alerts.total, recent: r.status.alerts.recent },
  };
}
