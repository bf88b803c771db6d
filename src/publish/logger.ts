/** The subset of pino's logger that the publisher uses: pass a pino logger (or anything shaped like it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** Library default: say nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
