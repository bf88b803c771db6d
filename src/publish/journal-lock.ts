import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TinygateError } from '../errors/index.js';

/** Folders locked by this process: a second open in the same process is refused too. */
const lockedHere = new Set<string>();

/**
 * One writer per journal folder: a lock file holding the owner's pid and boot id. A lock left by a process
 * that died (crash, SIGKILL, power loss: then the boot id differs and the pid may be reused) is taken over.
 */
export function lockJournal(dir: string): () => void {
  const key = resolve(dir);
  const file = join(dir, 'lock');
  if (lockedHere.has(key)) throw locked(dir, process.pid);
  const me = JSON.stringify({ pid: process.pid, boot: bootId() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, me, { flag: 'wx' });
      lockedHere.add(key);
      return () => {
        lockedHere.delete(key);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(file);
      if (owner && owner.boot === bootId() && owner.pid !== process.pid && isAlive(owner.pid)) {
        throw locked(dir, owner.pid);
      }
      rmSync(file, { force: true });
    }
  }
  throw new TinygateError('JOURNAL_LOCKED', `could not lock alert journal ${dir}`, { kind: 'internal' });
}

function locked(dir: string, pid: number): TinygateError {
  return new TinygateError('JOURNAL_LOCKED', `alert journal ${dir} is in use by process ${pid}`, {
    hint: 'Only one gateway may use a journal folder: stop the other one or set mqtt.journal.path to another folder.',
  });
}

function readOwner(file: string): { pid: number; boot: string } | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; boot?: unknown };
    return typeof o.pid === 'number' && typeof o.boot === 'string' ? { pid: o.pid, boot: o.boot } : null;
  } catch {
    return null;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
