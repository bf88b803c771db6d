import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import { startEmbeddedBroker } from '../publish/index.js';
import { action, type JsonFlag, report } from './output.js';

interface BrokerOptions extends JsonFlag {
  port: string;
}

export function registerBroker(program: Command): void {
  program
    .command('broker')
    .description('run the embedded MQTT broker (aedes, MQTT 3.1.1, 127.0.0.1 only) until Ctrl-C')
    .option('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)', '1883')
    .option('--json', 'print one JSON document with the address once listening')
    .action(
      action(async (opts: BrokerOptions) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new TinygateError('BAD_PORT', `--port ${opts.port} is not a TCP port`, {
            hint: 'Give a number from 0 to 65535 (0 picks a free port).',
          });
        }
        const broker = await startEmbeddedBroker({ port });
        report(opts, { url: broker.url, host: broker.host, port: broker.port, protocol: 'MQTT 3.1.1' }, () =>
          [
            `MQTT broker listening on ${broker.url} (MQTT 3.1.1, no credentials, this machine only)`,
            'Press Ctrl-C to stop. For clients on other machines, TLS or MQTT 5, run mosquitto instead.',
          ].join('\n'),
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await broker.close();
      }),
    );
}
