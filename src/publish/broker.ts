import { createServer, type Server, type Socket } from 'node:net';
import { TinygateError } from '../errors/index.js';
import { type Logger, silentLogger } from './logger.js';

export interface EmbeddedBroker {
  url: string;
  host: string;
  port: number;
  /** Connected clients right now. */
  clients(): number;
  close(): Promise<void>;
}

/**
 * The default broker when no url is configured: aedes (MQTT 3.1.1) on 127.0.0.1 only, no credentials,
 * retained messages in memory. Port 0 picks a free port.
 */
export async function startEmbeddedBroker(
  options: { port: number; logger?: Logger } = { port: 1883 },
): Promise<EmbeddedBroker> {
  const log = options.logger ?? silentLogger;
  const host = '127.0.0.1';
  // aedes loads only when the embedded broker starts: a gateway with an external broker never needs it.
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  aedes.on('clientError', (client, err) =>
    log.debug({ clientId: client?.id, err: err.message }, 'broker: client error'),
  );
  const server: Server = createServer(aedes.handle);
  // Every open connection, so closing can end them all: a client that reconnects while the broker
  // shuts down would otherwise keep the server (and the process) alive.
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    const code = (err as NodeJS.ErrnoException).code;
    throw new TinygateError(
      'BROKER_PORT',
      code === 'EADDRINUSE'
        ? `cannot start the embedded MQTT broker: ${host}:${options.port} is already in use`
        : `cannot start the embedded MQTT broker on ${host}:${options.port}: ${(err as Error).message}`,
      {
        hint:
          code === 'EADDRINUSE'
            ? 'Another broker (mosquitto?) may be running there: set mqtt.url to use it, or pick another mqtt.embedded.port.'
            : 'Pick another mqtt.embedded.port (ports below 1024 need root).',
        cause: err,
      },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ host, port }, 'embedded MQTT broker listening');
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    clients: () => aedes.connectedClients,
    close: async () => {
      // Stop accepting first, then end the broker and whatever connections are still open.
      const closed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
