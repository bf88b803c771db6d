import { TinygateError } from '../errors/index.js';

/** A positive number of seconds from a flag. */
export function parseDuration(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) {
    throw new TinygateError('BAD_OPTION', `${flag} ${s} is not a positive number of seconds`, {
      hint: `Give seconds, e.g. ${flag} 60.`,
    });
  }
  return n;
}

/** A TCP port from a flag; 0 means "pick a free one". */
export function parsePort(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new TinygateError('BAD_OPTION', `${flag} ${s} is not a TCP port`, {
      hint: 'Give a number from 0 to 65535 (0 picks a free port).',
    });
  }
  return n;
}

/** A number of 0 or more from a flag (a tolerance, a percentile). */
export function parseNonNegative(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) {
    throw new TinygateError('BAD_OPTION', `${flag} ${s} is not valid`, {
      hint: 'Give a non-negative number.',
    });
  }
  return n;
}
