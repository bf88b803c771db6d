/** Something a clock drives: it catches up to the given time (ms on the clock's timeline). */
export interface Ticking {
  advanceTo(nowMs: number): void;
}

/**
 * One timer driving many virtual boards in real time: each tick, every board emits what is due since
 * the last tick. One shared timer (not one per board) keeps 32 boards at 1 kHz affordable on one core.
 */
export class SimClock {
  readonly tickMs: number;
  private readonly members = new Set<Ticking>();
  private timer: NodeJS.Timeout | null = null;

  constructor(tickMs = 1) {
    this.tickMs = tickMs;
  }

  /** Milliseconds on this clock's timeline (monotonic). */
  now(): number {
    return performance.now();
  }

  add(t: Ticking): void {
    this.members.add(t);
    if (!this.timer) this.schedule();
  }

  remove(t: Ticking): void {
    this.members.delete(t);
    if (this.members.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      const now = this.now();
      for (const m of this.members) m.advanceTo(now);
      if (this.members.size) this.schedule();
      else this.timer = null;
    }, this.tickMs);
  }
}

/** The clock boards share unless given their own. */
export const defaultClock = new SimClock(1);
