// How many windows on-site learning needs (kept apart from learn-model.ts, which loads tfjs).

/** Fewest windows held back for the gate: below ~100 scores no tail can say "once a day". */
export const MIN_HELD_BACK = 100;
/** Fewest windows to fit on (the autoencoder's own early stopping takes a sixth of them). */
export const MIN_FIT = 120;
/** Share of the learned windows (the latest in time) held back for the gate. */
export const HELD_BACK = 0.4;

/** Fewest windows a model can be learned from. */
export function minLearnWindows(): number {
  return Math.max(Math.ceil(MIN_HELD_BACK / HELD_BACK), Math.ceil(MIN_FIT / (1 - HELD_BACK))) + 1;
}
