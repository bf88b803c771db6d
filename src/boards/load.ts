import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TinygateError } from '../errors/index.js';
import { type BoardProfile, boardProfileSchema } from './schema.js';

/** The profiles shipped in the repository's top-level `boards/` folder. */
export const DEFAULT_BOARDS_DIR = resolve(fileURLToPath(new URL('../../boards', import.meta.url)));

/** Parse and validate one profile; every failure names the file, the field path and the reason. */
export function parseBoardProfile(text: string, file: string): BoardProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TinygateError('BOARD_PROFILE_INVALID', `${file}: not valid JSON (${(err as Error).message})`, {
      hint: 'Fix the JSON syntax of the board profile.',
    });
  }
  const result = boardProfileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
    );
    throw new TinygateError('BOARD_PROFILE_INVALID', `${file}: ${problems.join('; ')}`, {
      hint: 'Correct the named fields; src/boards/schema.ts documents every field.',
      details: {
        file,
        issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    });
  }
  const stem = basename(file, '.json');
  if (result.data.id !== stem) {
    throw new TinygateError(
      'BOARD_PROFILE_INVALID',
      `${file}: id: "${result.data.id}" must match the file name "${stem}"`,
      {
        hint: 'Rename the file or the id so they agree.',
      },
    );
  }
  return result.data;
}

export function loadBoardProfile(file: string): BoardProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TinygateError('BOARD_PROFILE_UNREADABLE', `${file}: ${(err as Error).message}`, {
      hint: 'Check the path of the board profile.',
    });
  }
  return parseBoardProfile(text, file);
}

/** All profiles in a folder, sorted by id. */
export function loadBoards(dir: string = DEFAULT_BOARDS_DIR): BoardProfile[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.map((f) => loadBoardProfile(join(dir, f))).sort((a, b) => a.id.localeCompare(b.id));
}

/** One board by id, with the known ids in the error when it does not exist. */
export function findBoard(id: string, dir: string = DEFAULT_BOARDS_DIR): BoardProfile {
  const boards = loadBoards(dir);
  const board = boards.find((b) => b.id === id);
  if (!board) {
    throw new TinygateError('BOARD_UNKNOWN', `no board profile with id "${id}"`, {
      hint: `Known boards: ${boards.map((b) => b.id).join(', ')}. Run \`tinygate boards\` to list them.`,
    });
  }
  return board;
}
