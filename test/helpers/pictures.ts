import { Rng } from '../../src/sim/rng.js';

/**
 * Four classes of side×side pictures (one channel), for small 2-D convolutional classifiers: horizontal
 * bars, vertical bars, a diagonal, a blob; each shifted at random, drawn at a contrast drawn from
 * [1 − fade, 1], with uniform noise of ±noise/2.
 */
export function pictures(
  n: number,
  seed: number,
  side = 12,
  o: { noise?: number; fade?: number } = {},
): { x: Float32Array[]; y: number[] } {
  const noise = o.noise ?? 0.4;
  const fade = o.fade ?? 0;
  const rng = new Rng(seed);
  const x: Float32Array[] = [];
  const y: number[] = [];
  const mid = side / 2;
  for (let s = 0; s < n; s++) {
    const cls = s % 4;
    const shift = Math.floor(rng.next() * 4);
    const contrast = 1 - fade * rng.next();
    const img = new Float32Array(side * side);
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++) {
        const on =
          cls === 0
            ? (r + shift) % 4 < 2
            : cls === 1
              ? (c + shift) % 4 < 2
              : cls === 2
                ? Math.abs(r - c - shift + 2) < 2
                : (r - mid) ** 2 + (c - mid + 2 - shift) ** 2 < 9;
        img[r * side + c] = (on ? contrast : 0) + (rng.next() - 0.5) * noise;
      }
    x.push(img);
    y.push(cls);
  }
  return { x, y };
}
