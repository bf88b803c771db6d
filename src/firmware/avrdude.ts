/** Run avrdude and read what it reports: the signature it found, the bytes written and the bytes verified. */
import { execFile } from 'node:child_process';
import { TinygateError } from '../errors/index.js';

export interface AvrdudeResult {
  /** The device signature read through the bootloader, e.g. "0x1e950f" for an ATmega328P. */
  signature: string | null;
  bytesWritten: number;
  bytesVerified: number;
  /** avrdude's own report (its stderr). */
  log: string;
}

/** The last lines of avrdude's report worth showing in an error. */
function tail(log: string): string {
  return log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Reading|Writing) \|/.test(l))
    .slice(-4)
    .join(' | ');
}

/** Run avrdude with these arguments; a failure says what avrdude said and what to check. */
export function runAvrdude(args: string[], port: string, timeoutMs = 120_000): Promise<AvrdudeResult> {
  return new Promise((resolve, reject) => {
    execFile('avrdude', args, { timeout: timeoutMs }, (err, _stdout, stderr) => {
      const log = String(stderr);
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') {
          reject(
            new TinygateError('FIRMWARE_TOOL_MISSING', 'avrdude is not installed', {
              hint: 'Install it (Debian: apt-get install avrdude) and run the command again.',
            }),
          );
          return;
        }
        const noBootloader = /not in sync|not responding|attempt \d+ of \d+/i.test(log);
        const mismatch = /verification (error|mismatch)|content mismatch/i.test(log);
        reject(
          new TinygateError(
            mismatch ? 'FIRMWARE_VERIFY_FAILED' : 'FIRMWARE_UPLOAD_FAILED',
            e.killed
              ? `avrdude did not finish within ${timeoutMs / 1000} s on ${port}`
              : `avrdude failed on ${port}: ${tail(log)}`,
            {
              hint: mismatch
                ? "The flash does not hold what was written: run the install again; if it fails the same way, the board's flash may be worn."
                : noBootloader
                  ? `No bootloader answered on ${port}: check that it is the board's port, that no other program (tinygate run, a serial monitor) has it open, and that the board has its bootloader; press reset just before the upload if its auto-reset does not work.`
                  : "Read avrdude's message above; run the avrdude command from `--dry-run` by hand with -v for more.",
              details: { log },
            },
          ),
        );
        return;
      }
      resolve({
        signature: /device signature = (0x[0-9a-f]+)/i.exec(log)?.[1]?.toLowerCase() ?? null,
        bytesWritten: Number(/(\d+) bytes of flash written/.exec(log)?.[1] ?? 0),
        bytesVerified: Number(/(\d+) bytes of flash verified/.exec(log)?.[1] ?? 0),
        log,
      });
    });
  });
}
