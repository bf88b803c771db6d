/** Where a failure came from decides the CLI exit code: user errors exit 1, internal errors exit 2. */
export type ErrorKind = 'user' | 'internal';

export interface TinygateErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  kind?: ErrorKind;
  cause?: unknown;
  /** Machine-readable extras for `--json` consumers (e.g. margins, offsets). */
  details?: Record<string, unknown>;
}

/**
 * The one error type library code throws for anything a user should see.
 * `code` is stable (scripts match on it); `message` says what was wrong; `hint` says what to do.
 */
export class TinygateError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly kind: ErrorKind;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: TinygateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TinygateError';
    this.code = code;
    this.hint = options.hint;
    this.kind = options.kind ?? 'user';
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      kind: this.kind,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isTinygateError(err: unknown): err is TinygateError {
  return err instanceof TinygateError;
}

/** Process exit codes shared by every command. */
export const ExitCode = { ok: 0, user: 1, internal: 2 } as const;

export function exitCodeFor(err: unknown): number {
  return isTinygateError(err) && err.kind === 'user' ? ExitCode.user : ExitCode.internal;
}
