import cliProgress from 'cli-progress';

/** A progress bar on stderr (only when stderr is a terminal, so logs and --json stay clean). */
export function progressBar(
  label: string,
  total: number,
  unit = '',
): { update(n: number, extra?: string): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total}${unit ? ` ${unit}` : ''} {extra}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { extra: '' });
  return {
    update(n, extra = '') {
      bar.update(Math.min(n, total), { extra });
    },
    stop() {
      bar.stop();
    },
  };
}
