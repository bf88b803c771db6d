import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FILES, ModelSidecar } from '../detect/model-dir.js';
import { TinygateError } from '../errors/index.js';

/** One learned model of a board, as `tinygate models` lists it. */
export interface ModelVersion {
  version: number;
  dir: string;
  id: string;
  hash: string;
  threshold: number;
  createdAt: string | null;
  /** The stream time it learned from. */
  span: { start: string; end: string } | null;
  windows: number;
  /** The gate's verdict when it was learned; a version that failed it never went live. */
  gate: { passed: boolean; expectedAlarmsPerDay: number; target: number; reason: string } | null;
  int8Bytes: number | null;
  active: boolean;
}

const ACTIVE = 'active.json';
const VERSION_DIR = /^v(\d{4,})$/;

/**
 * A board's learned models: `<root>/v0001/`, `v0002/`, … (each a model folder with its card), and
 * `active.json` naming the one in force. The newest `keep` versions and the active one are kept.
 */
export class ModelVersions {
  constructor(
    readonly root: string,
    readonly keep = 5,
  ) {}

  list(): ModelVersion[] {
    if (!existsSync(this.root)) return [];
    const active = this.activeVersion();
    return readdirSync(this.root)
      .map((name) => VERSION_DIR.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => this.describe(Number(m[1]), active))
      .filter((v): v is ModelVersion => v !== null)
      .sort((a, b) => a.version - b.version);
  }

  /** The version in force, or null when none was ever made live. */
  active(): ModelVersion | null {
    const v = this.activeVersion();
    return v === null ? null : this.describe(v, v);
  }

  /** A fresh folder for the next version (its number is one past the highest ever used here). */
  next(): { version: number; dir: string } {
    mkdirSync(this.root, { recursive: true });
    const used = readdirSync(this.root)
      .map((n) => VERSION_DIR.exec(n) ?? /^v(\d{4,})\.tmp$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    const version = Math.max(0, ...used) + 1;
    const dir = join(this.root, `v${String(version).padStart(4, '0')}`);
    rmSync(dir, { recursive: true, force: true });
    return { version, dir };
  }

  /** Make a version the one in force (written atomically: a power cut leaves the old or the new). */
  activate(version: number): ModelVersion {
    const v = this.describe(version, version);
    if (!v) {
      const known = this.list().map((x) => x.version);
      throw new TinygateError('MODEL_VERSION_UNKNOWN', `${this.root}: no model version ${version}`, {
        hint: known.length
          ? `Known versions: ${known.join(', ')}.`
          : 'No model was learned for this board yet.',
      });
    }
    const tmp = join(this.root, `${ACTIVE}.tmp`);
    writeFileSync(tmp, `${JSON.stringify({ version, activatedAt: new Date().toISOString() })}\n`);
    renameSync(tmp, join(this.root, ACTIVE));
    this.prune();
    return v;
  }

  /** No learned version in force: the board goes back to its configured model. */
  deactivate(): void {
    rmSync(join(this.root, ACTIVE), { force: true });
  }

  /** The version before the active one that passed its gate: what a rollback goes back to. */
  previous(): ModelVersion | null {
    const active = this.activeVersion();
    const older = this.list().filter(
      (v) => (active === null || v.version < active) && v.gate?.passed !== false,
    );
    return older[older.length - 1] ?? null;
  }

  /** Forget versions beyond the newest `keep` (never the active one). */
  prune(): void {
    const active = this.activeVersion();
    const all = this.list();
    for (const v of all.slice(0, Math.max(0, all.length - this.keep))) {
      if (v.version !== active) rmSync(v.dir, { recursive: true, force: true });
    }
  }

  private activeVersion(): number | null {
    const file = join(this.root, ACTIVE);
    if (!existsSync(file)) return null;
    try {
      const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
      return typeof v === 'number' ? v : null;
    } catch {
      return null;
    }
  }

  private describe(version: number, active: number | null): ModelVersion | null {
    const dir = join(this.root, `v${String(version).padStart(4, '0')}`);
    const file = join(dir, MODEL_FILES.sidecar);
    if (!existsSync(file) || !existsSync(join(dir, MODEL_FILES.int8))) return null;
    const parsed = ModelSidecar.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return null;
    const s = parsed.data;
    const t = s.training as {
      span?: ModelVersion['span'];
      windows?: { total?: number };
      gate?: ModelVersion['gate'];
      createdAt?: string;
    };
    return {
      version,
      dir,
      id: s.model.id,
      hash: s.model.hash,
      threshold: s.threshold.value,
      createdAt: t.createdAt ?? null,
      span: t.span ?? null,
      windows: t.windows?.total ?? 0,
      gate: t.gate ?? null,
      int8Bytes: existsSync(join(dir, MODEL_FILES.int8))
        ? readFileSync(join(dir, MODEL_FILES.int8)).length
        : null,
      active: version === active,
    };
  }
}
