import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type CheckResult,
  checkBroker,
  checkDataDir,
  checkNode,
  checkSerialPorts,
  checkTools,
} from '../doctor/index.js';
import { action, type JsonFlag, report } from './output.js';

interface DoctorOptions extends JsonFlag {
  config?: string;
  port?: string[];
  broker?: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine for a gateway: Node, serial ports and permissions, toolchains, broker')
    .option('-c, --config <file>', "also check the config's serial ports, data folder and broker")
    .option('--port <path...>', 'check these serial ports (default: every /dev/ttyACM*, ttyUSB*, ttyAMA*)')
    .option('--broker <url>', 'check that this MQTT broker accepts connections')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: DoctorOptions) => {
        const checks: CheckResult[] = [checkNode()];
        let ports = opts.port ?? [];
        let broker = opts.broker;
        if (opts.config) {
          // The config loader brings zod and the MQTT schema: only when a config is given.
          const { loadGatewayConfig } = await import('../gateway/config.js');
          const { config, baseDir } = loadGatewayConfig(opts.config);
          ports = [...ports, ...config.boards.flatMap((b) => (b.port ? [b.port] : []))];
          broker ??= config.mqtt?.url;
          checks.push(checkDataDir(resolve(baseDir, config.gateway.dataDir)));
        }
        checks.push(...checkSerialPorts(ports), ...(await checkTools()));
        if (broker) checks.push(await checkBroker(broker));
        const ok = checks.every((c) => c.status !== 'fail');
        report(opts, { ok, checks }, () => render(checks, ok));
        if (!ok) process.exitCode = 1;
      }),
    );
}

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

function render(checks: CheckResult[], ok: boolean): string {
  const lines = checks.flatMap((c) => [
    `${MARK[c.status]}  ${c.name}: ${c.detail}`,
    ...(c.fix ? [`      fix: ${c.fix}`] : []),
  ]);
  lines.push(ok ? 'ready to run a gateway' : 'not ready: fix the FAIL lines above');
  return lines.join('\n');
}
