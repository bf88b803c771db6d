// Stack traces that name the TypeScript lines: frames in our compiled dist/ files are mapped through
// their .js.map when a stack is formatted. Node's --enable-source-maps would also parse the multi-MB
// maps that tfjs ships at every start (≈ +15 MiB RSS); this reads only ours, and only for an error.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distUrl = new URL('..', import.meta.url).href;
const maps = new Map<string, SourceMap | null>();

function mapOf(fileUrl: string): SourceMap | null {
  let map = maps.get(fileUrl);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(fileUrl)}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(fileUrl, map);
  }
  return map;
}

/** `file:///…/dist/x.js:12:5` → `file:///…/src/x.ts:30:3` when the map knows the position. */
function mapFrame(frame: NodeJS.CallSite): string {
  const text = String(frame);
  const raw = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!raw || line === null || column === null) return text;
  const fileUrl = raw.startsWith('file:') ? raw : pathToFileURL(raw).href;
  if (!fileUrl.startsWith(distUrl) || !fileUrl.endsWith('.js')) return text;
  const entry = mapOf(fileUrl)?.findEntry(line - 1, column - 1);
  if (!entry || !('originalSource' in entry)) return text;
  const source = fileURLToPath(new URL(entry.originalSource, fileUrl));
  return text.replace(
    `${raw}:${line}:${column}`,
    `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`,
  );
}

/** Map every stack formatted from now on (cheap until an error's stack is read). */
export function mapStackTraces(): void {
  Error.prepareStackTrace = (error, frames) =>
    `${Error.prototype.toString.call(error)}${frames.map((f) => `\n    at ${mapFrame(f)}`).join('')}`;
}
