export { DEFAULT_BOARDS_DIR, findBoard, loadBoardProfile, loadBoards, parseBoardProfile } from './load.js';
export { type BoardProfile, boardProfileSchema, CORES } from './schema.js';
