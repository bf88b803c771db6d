import { exitCodeFor, isTinygateError } from '../errors/index.js';

/** Options every reporting command accepts. */
export interface JsonFlag {
  json?: boolean;
}

/** `--json` prints exactly one JSON document on stdout; otherwise the human rendering. */
export function report(opts: JsonFlag, value: unknown, human: () => string): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  } else {
    process.stdout.write(`${human()}\n`);
  }
}

// BigInt and typed arrays show up in model reports; JSON.stringify cannot take them raw.
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Render an error for a human on stderr, and for scripts as `{ "error": … }` on stdout under `--json`. */
export function renderError(err: unknown, opts: JsonFlag): number {
  const code = exitCodeFor(err);
  if (isTinygateError(err)) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, jsonReplacer, 2)}\n`);
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
  } else {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ error: { code: 'INTERNAL', message: String(err), kind: 'internal' } })}\n`,
      );
    }
    process.stderr.write(`internal error: ${message}\n`);
    process.stderr.write('hint: this is a bug in tinygate; please report it with the command you ran.\n');
  }
  return code;
}

/**
 * Wrap a command action: runs it, renders any error, and sets the exit code.
 * Commands never call process.exit themselves so pending output and cleanup still happen.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    const opts = findOptions(args);
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = renderError(err, opts);
    }
  };
}

// Commander passes (...positionals, options, command); the options object is the one before the Command.
function findOptions(args: unknown[]): JsonFlag {
  for (let i = args.length - 2; i >= 0; i--) {
    const a = args[i];
    if (a && typeof a === 'object' && !Array.isArray(a)) return a as JsonFlag;
  }
  return {};
}
