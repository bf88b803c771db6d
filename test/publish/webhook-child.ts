// A stand-in gateway for the webhook SIGKILL test: journals alerts (a few a tick) and delivers them to a
// webhook until it is killed, printing each id once it is on disk.
// Run as: node --import tsx webhook-child.ts '<mqtt config JSON>' '<webhook config JSON>'
import { createPublisher, WebhookConfig } from '../../src/publish/index.js';
import { makeAlert } from './fixtures.js';

const mqtt = JSON.parse(process.argv[2]!);
const hook = WebhookConfig.parse(JSON.parse(process.argv[3]!));
const publisher = await createPublisher({
  gatewayId: 'gw-hook',
  config: mqtt,
  webhooks: [hook],
});
for (let i = 0; ; i++) {
  const batch = Array.from({ length: 4 }, (_, k) => makeAlert(i * 4 + k, `board-${k}`));
  await Promise.all(
    batch.map(async (a) => {
      await publisher.publishAlert(a);
      process.stdout.write(`journaled ${a.id}\n`);
    }),
  );
  await new Promise((r) => setTimeout(r, 5));
}
