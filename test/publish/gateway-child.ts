// A stand-in gateway for the SIGKILL test: journals alerts until it is killed, printing each id once it
// is on disk. Run as: node --import tsx gateway-child.ts '<mqtt config JSON>'
import { createPublisher } from '../../src/publish/index.js';
import { makeAlert } from './fixtures.js';

const config = JSON.parse(process.argv[2]!);
const publisher = await createPublisher({ gatewayId: 'gw-kill', config });
for (let i = 0; ; i++) {
  // Several alerts at once, so a kill can land in the middle of a group commit.
  const batch = Array.from({ length: 4 }, (_, k) => makeAlert(i * 4 + k, `board-${k}`));
  await Promise.all(
    batch.map(async (a) => {
      await publisher.publishAlert(a);
      process.stdout.write(`journaled ${a.id}\n`);
    }),
  );
}
