import { type Logger as PinoLogger, pino } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Structured logs: JSON lines for journald and log shippers, pretty text when a person watches the
 * terminal. `auto` picks pretty on a TTY.
 */
export function createCliLogger(o: {
  level: string;
  format: LogFormat;
  /** 1 = stdout, 2 = stderr. */
  fd: 1 | 2;
}): PinoLogger {
  const tty = o.fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const pretty = o.format === 'pretty' || (o.format === 'auto' && tty);
  if (!pretty) return pino({ level: o.level }, pino.destination({ fd: o.fd, sync: true }));
  return pino({
    level: o.level,
    transport: {
      target: 'pino-pretty',
      options: {
        destination: o.fd,
        colorize: tty,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname',
        sync: true,
      },
    },
  });
}
