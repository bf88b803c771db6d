// A real mosquitto broker for integration tests and the publish benchmark: free loopback port, password
// file, config in a temp dir; stop/restart on the same port to simulate a broker outage.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export function haveMosquitto(): boolean {
  return existsSync(MOSQUITTO);
}

export interface MosquittoOptions {
  /** Require username/password (default true). */
  auth?: boolean;
  /** Keep sessions and queued messages across a SIGTERM stop (mosquitto saves its database then). */
  persistence?: boolean;
  /** Serve TLS with a freshly made CA and server certificate for localhost/127.0.0.1. */
  tls?: boolean;
}

export interface Mosquitto {
  port: number;
  url: string;
  username: string;
  password: string;
  dir: string;
  /** PEM file paths when started with tls. */
  caFile?: string;
  /** Stop the broker (SIGTERM: orderly, saves persistence; SIGKILL: crash) and wait for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same port with the same config. */
  start(): Promise<void>;
  /** Stop it and remove its temp dir. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const auth = options.auth ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'tg-mosquitto-'));
  const port = await freePort();
  const username = 'gateway';
  const password = 's3cret-pass';
  const lines = [
    `listener ${port} 127.0.0.1`,
    // Started as root, mosquitto would switch to user "mosquitto", which cannot read this temp dir.
    'user root',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    // Tests queue thousands of messages for a briefly offline subscriber; the default cap is 1000.
    'max_queued_messages 0',
  ];
  if (auth) {
    execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), username, password]);
    lines.push('allow_anonymous false', `password_file ${join(dir, 'passwd')}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`);
  let caFile: string | undefined;
  if (options.tls) {
    caFile = makeCertificates(dir);
    lines.push(
      `cafile ${caFile}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
    );
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);

  let child: ChildProcess | null = null;
  let stderr = '';
  const start = async (): Promise<void> => {
    child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };
  await start();
  return {
    port,
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    username,
    password,
    dir,
    caFile,
    stop,
    start,
    dispose: async () => {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A throwaway CA and a server certificate for localhost and 127.0.0.1 (EC keys: fast to make). */
function makeCertificates(dir: string): string {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=tinygate test CA',
  ]);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  return join(dir, 'ca.crt');
}
