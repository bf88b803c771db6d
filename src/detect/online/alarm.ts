// Turns per-window anomaly verdicts into alarms in time, not window counts: raise after `count` anomalous
// windows within `withinS` seconds, stay raised until `clearS` seconds pass without one, and do not raise
// again within `holdS` of the last raise (one fault, one alarm, whatever the window rate).

export interface AlarmOptions {
  /** Anomalous windows needed within `withinS` seconds to raise. */
  count: number;
  withinS: number;
  /** Seconds without an anomalous window before the alarm clears. */
  clearS: number;
  /** Seconds after a raise during which no new alarm is raised... */
  holdS: number;
  /** ...unless the window is this many decades of p-value more surprising than the raise (a worse fault). */
  escalateDecades: number;
}

export const DEFAULT_ALARM: AlarmOptions = {
  count: 1,
  withinS: 0,
  clearS: 3600,
  holdS: 86_400,
  escalateDecades: Number.POSITIVE_INFINITY,
};

export type AlarmEvent = 'raised' | 'cleared' | null;

export class TimeAlarm {
  readonly options: AlarmOptions;
  private recent: number[] = [];
  private lastAnomalyS = Number.NEGATIVE_INFINITY;
  private lastRaiseS = Number.NEGATIVE_INFINITY;
  private lastRaiseSurprise = 0;
  active = false;

  constructor(options: Partial<AlarmOptions> = {}) {
    this.options = { ...DEFAULT_ALARM, ...options };
  }

  /** One window's verdict at time tS (surprise = −log10 p); says whether it raised or cleared the alarm. */
  update(tS: number, anomalous: boolean, surprise = 0): AlarmEvent {
    const o = this.options;
    if (anomalous) {
      this.lastAnomalyS = tS;
      this.recent.push(tS);
      while (this.recent.length && tS - this.recent[0]! > o.withinS) this.recent.shift();
      const debounced = this.recent.length >= o.count;
      const fresh = !this.active && tS - this.lastRaiseS >= o.holdS;
      const worse = surprise >= this.lastRaiseSurprise + o.escalateDecades;
      if (debounced && (fresh || worse)) {
        this.active = true;
        this.lastRaiseS = tS;
        this.lastRaiseSurprise = surprise;
        this.recent = [];
        return 'raised';
      }
      return null;
    }
    if (this.active && tS - this.lastAnomalyS >= o.clearS) {
      this.active = false;
      return 'cleared';
    }
    return null;
  }
}
