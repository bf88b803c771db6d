import Table from 'cli-table3';

/** A plain, terminal-friendly table; wraps long cells when `wrap` columns is given. */
export function table(head: string[], rows: string[][], options: { wrap?: number } = {}): string {
  const t = new Table({
    head,
    style: { head: [], border: [] },
    // No rule between rows: long tables stay readable on an 80-column terminal.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    wordWrap: options.wrap !== undefined,
    ...(options.wrap !== undefined ? { colWidths: [null, options.wrap] as unknown as number[] } : {}),
  });
  for (const row of rows) t.push(row);
  return t.toString();
}

/** 1536 → "1.5 KiB"; exact byte counts stay in `--json` output. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  return `${trim(n / (1024 * 1024))} MiB`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '');
}
