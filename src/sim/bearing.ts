/**
 * Rolling-element bearing defect frequencies from geometry (standard kinematic formulas, e.g. SKF's
 * bearing frequency calculator): a defect on a race is struck once per passing ball.
 */
export interface BearingGeometry {
  /** Number of rolling elements. */
  balls: number;
  ballDiameterMm: number;
  pitchDiameterMm: number;
  contactAngleDeg: number;
}

/** A 6205 deep-groove ball bearing (9 balls of 7.94 mm on a 39.04 mm pitch circle), common on small motors. */
export const BEARING_6205: BearingGeometry = {
  balls: 9,
  ballDiameterMm: 7.94,
  pitchDiameterMm: 39.04,
  contactAngleDeg: 0,
};

export interface BearingFrequencies {
  /** Ball pass frequency, outer race, as a multiple of shaft speed. */
  bpfo: number;
  /** Ball pass frequency, inner race, as a multiple of shaft speed. */
  bpfi: number;
  /** Fundamental train (cage) frequency, as a multiple of shaft speed. */
  ftf: number;
  /** Ball spin frequency, as a multiple of shaft speed. */
  bsf: number;
}

export function bearingFrequencies(g: BearingGeometry): BearingFrequencies {
  const r = (g.ballDiameterMm / g.pitchDiameterMm) * Math.cos((g.contactAngleDeg * Math.PI) / 180);
  return {
    bpfo: (g.balls / 2) * (1 - r),
    bpfi: (g.balls / 2) * (1 + r),
    ftf: 0.5 * (1 - r),
    bsf: (g.pitchDiameterMm / (2 * g.ballDiameterMm)) * (1 - r * r),
  };
}
