/**
 * `tinygate doctor`: is this machine ready to run a gateway? Each check says what it found and, when
 * something is wrong, what to do about it. Checks never throw: a failed check is a result.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked, e.g. "node", "serial /dev/ttyACM0", "tool avr-gcc". */
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when the status is not ok. */
  fix?: string;
}

/** The oldest Node tinygate runs on (package.json engines). */
export const MIN_NODE = [20, 15] as const;

export function checkNode(version = process.versions.node): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { name: 'node', status: 'ok', detail: `Node.js ${version}` }
    : {
        name: 'node',
        status: 'fail',
        detail: `Node.js ${version} is older than ${MIN_NODE.join('.')}`,
        fix: `Install Node.js ${MIN_NODE[0]} LTS (${MIN_NODE.join('.')} or newer), e.g. from your distribution or nodejs.org.`,
      };
}

/** Serial devices boards show up as on Linux (USB CDC, USB-serial bridges, the Pi's own UARTs). */
export function serialPorts(devDir = '/dev'): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(devDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^tty(ACM|USB|AMA)\d+$/.test(n) || n === 'serial0')
    .sort()
    .map((n) => join(devDir, n));
}

function groupName(gid: number): string {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(gid));
    return line?.split(':')[0] ?? String(gid);
  } catch {
    return String(gid);
  }
}

/** Can this user open the port for reading and writing? If not, which group would let it. */
export function checkSerialPort(path: string): CheckResult {
  const name = `serial ${path}`;
  if (!existsSync(path)) {
    return {
      name,
      status: 'fail',
      detail: 'no such device',
      fix: 'Plug the board in (a data cable, not a charge-only one) and check `ls /dev/ttyACM* /dev/ttyUSB*`.',
    };
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return { name, status: 'ok', detail: 'readable and writable' };
  } catch {
    const group = groupName(statSync(path).gid);
    const user = userInfo().username;
    return {
      name,
      status: 'fail',
      detail: `${user} may not open it (group ${group})`,
      fix: `sudo usermod -aG ${group} ${user}, then log out and in again (a systemd service: SupplementaryGroups=${group}).`,
    };
  }
}

export function checkSerialPorts(explicit: string[] = []): CheckResult[] {
  const ports = explicit.length ? explicit : serialPorts();
  if (!ports.length) {
    return [
      {
        name: 'serial',
        status: 'warn',
        detail: 'no serial device found (/dev/ttyACM*, /dev/ttyUSB*, /dev/ttyAMA*)',
        fix: 'Plug a board in to check its port; virtual boards need none.',
      },
    ];
  }
  return ports.map(checkSerialPort);
}

/** Tools tinygate runs, what needs each, and whether a gateway can do without it. */
export const TOOLS = [
  { cmd: 'make', needed: 'building any firmware-bridge (virtual boards, Arduino, Cortex-M)' },
  { cmd: 'cc', needed: 'the host virtual boards (demo, `sim board`)' },
  { cmd: 'avr-gcc', needed: 'the firmware-bridge for the Uno and Mega 2560' },
  { cmd: 'arm-none-eabi-gcc', needed: 'the firmware-bridge for Cortex-M boards and QEMU' },
  { cmd: 'qemu-system-arm', needed: 'the emulated Cortex-M3 board' },
] as const;

const DEBIAN_PACKAGE: Record<string, string> = {
  make: 'make',
  cc: 'gcc',
  'avr-gcc': 'gcc-avr avr-libc',
  'arm-none-eabi-gcc': 'gcc-arm-none-eabi libnewlib-arm-none-eabi',
  'qemu-system-arm': 'qemu-system-arm',
};

function firstLine(cmd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, ['--version'], { timeout: 5000 }, (err, stdout) =>
      resolve(err ? null : (String(stdout).split('\n')[0] ?? '').trim()),
    );
  });
}

export async function checkTools(): Promise<CheckResult[]> {
  return Promise.all(
    TOOLS.map(async (t): Promise<CheckResult> => {
      const version = await firstLine(t.cmd);
      return version !== null
        ? { name: `tool ${t.cmd}`, status: 'ok', detail: version }
        : {
            name: `tool ${t.cmd}`,
            status: 'warn',
            detail: `not installed: needed for ${t.needed}`,
            fix: `Debian/Raspberry Pi OS: sudo apt-get install ${DEBIAN_PACKAGE[t.cmd]}`,
          };
    }),
  );
}

/** A TCP connection to the broker within `timeoutMs` (TLS and credentials are checked when the gateway connects). */
export function checkBroker(url: string, timeoutMs = 3000): Promise<CheckResult> {
  const name = `broker ${url}`;
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    const defaults: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ssl:': 8883 };
    host = u.hostname;
    port = u.port ? Number(u.port) : (defaults[u.protocol] ?? 1883);
  } catch {
    return Promise.resolve({
      name,
      status: 'fail',
      detail: 'not a URL',
      fix: 'Write it as mqtt://host:1883 or mqtts://host:8883.',
    });
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: CheckResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () =>
      done({
        name,
        status: 'fail',
        detail: `no answer from ${host}:${port} within ${timeoutMs / 1000} s`,
        fix: 'Check the host name, that the broker runs, and that no firewall drops the port.',
      }),
    );
    socket.once('connect', () => done({ name, status: 'ok', detail: `${host}:${port} accepts connections` }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({
        name,
        status: 'fail',
        detail: `${host}:${port}: ${err.code ?? err.message}`,
        fix:
          err.code === 'ECONNREFUSED'
            ? 'Nothing listens there: start the broker (e.g. sudo systemctl start mosquitto) or fix the port.'
            : 'Check the host name and the network.',
      }),
    );
  });
}

/** The data folder must exist (or be creatable) and be writable: the alert journal lives there. */
export function checkDataDir(dir: string): CheckResult {
  const name = `data folder ${dir}`;
  let probe = dir;
  while (!existsSync(probe) && probe !== join(probe, '..')) probe = join(probe, '..');
  try {
    accessSync(probe, constants.W_OK);
    return {
      name,
      status: 'ok',
      detail: probe === dir ? 'writable' : `will be created (${probe} is writable)`,
    };
  } catch {
    return {
      name,
      status: 'fail',
      detail: `${probe} is not writable by ${userInfo().username}`,
      fix: `sudo mkdir -p ${dir} && sudo chown ${userInfo().username} ${dir} (the systemd unit's StateDirectory= does this).`,
    };
  }
}
