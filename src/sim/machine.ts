import { bearingFrequencies } from './bearing.js';
import { Rng } from './rng.js';
import { type MachineFaultKind, type Scenario, severityValue } from './scenario.js';

/**
 * Fault amplitudes at severity 1, in g (peak). Chosen from ISO 10816-3 velocity zones for a small machine
 * at ~30 Hz: 0.35 g at 1× is ≈ 13 mm/s RMS (zone D, "damage"), so "moderate" (0.5) sits in zone C.
 */
const AT_FULL_SEVERITY = {
  imbalance1x: 0.35,
  misalignment2x: 0.3,
  misalignmentAxial1x: 0.25,
  misalignmentAxial2x: 0.2,
  looseness: 0.25,
  bearingImpact: 1.0,
  overheatingC: 30,
};

const TWO_PI = 2 * Math.PI;

/** What the machine does at one instant, at the sensor's mounting point. Reused between steps. */
export interface MachineSample {
  /** Seconds since the scenario start. */
  t: number;
  /** 0…1 of rated load. */
  load: number;
  shaftHz: number;
  /** Acceleration, g: x horizontal radial, y axial, z vertical radial (includes +1 g of gravity). */
  ax: number;
  ay: number;
  az: number;
  /** Angular rate, deg/s (small rocking of the housing). */
  gx: number;
  gy: number;
  gz: number;
  /** Bearing housing temperature, °C. */
  housingC: number;
  ambientC: number;
  pressurePa: number;
  humidityPct: number;
  /** The most severe active machine fault now, and its severity (0 when healthy). */
  fault: MachineFaultKind | null;
  severity: number;
}

interface ActiveFault {
  kind: MachineFaultKind;
  onsetS: number;
  rampS: number;
  target: number;
}

/**
 * A rotating machine (induction motor on rolling bearings) sampled at the scenario rate: shaft speed that
 * falls with load (slip), 1×/2× and 2×line components, broadband noise, a structural resonance, bearing
 * impacts at BPFO/BPFI, a thermal lag — and the scenario's faults growing along their ramps.
 */
export class MachineModel {
  readonly sample: MachineSample;
  private readonly s: Scenario;
  private readonly dt: number;
  private n = 0;
  private readonly noise: Rng;
  private readonly events: Rng;
  private readonly impacts: Rng;
  private readonly faults: ActiveFault[];
  private readonly bpfo: number;
  private readonly bpfi: number;
  // Resonator y[n] = a1 y[n-1] + a2 y[n-2] + g x[n], peak response ≈ 1 for a unit impulse.
  private readonly a1: number;
  private readonly a2: number;
  private readonly gain: number;
  private y1 = 0;
  private y2 = 0;
  private rev = 0;
  private nextOuter: number;
  private nextInner: number;
  private loadTarget: number;
  private nextLoadChange: number;
  private load: number;
  private housing: number;
  private ambientWalk = 0;
  private pressureWalk = 0;
  private humidityWalk = 0;
  private readonly ambientPhase: number;
  private readonly loosePhases: number[];
  private readonly linePhase: number;

  constructor(scenario: Scenario) {
    this.s = scenario;
    this.dt = 1 / scenario.rateHz;
    const root = new Rng(scenario.seed);
    this.noise = root.fork('noise');
    this.events = root.fork('events');
    // Separate streams: a fault's draws must not change the healthy part of the same seed's signal.
    this.impacts = root.fork('impacts');
    const m = scenario.machine;
    this.faults = scenario.faults.map((f) => ({
      kind: f.kind,
      onsetS: f.onsetS,
      rampS: f.rampS,
      target: severityValue(f.severity),
    }));
    const bf = bearingFrequencies(m.bearing);
    this.bpfo = bf.bpfo;
    this.bpfi = bf.bpfi;
    const w = (TWO_PI * m.resonanceHz) / scenario.rateHz;
    const r = Math.exp(-m.resonanceDamping * w);
    this.a1 = 2 * r * Math.cos(w);
    this.a2 = -r * r;
    this.gain = Math.sin(w);
    this.nextOuter = 1 / this.bpfo;
    this.nextInner = 1 / this.bpfi;
    this.load = m.load.start;
    this.loadTarget = m.load.start;
    this.nextLoadChange = this.drawHold();
    this.ambientPhase = this.events.uniform(0, TWO_PI);
    this.loosePhases = Array.from({ length: 10 }, () => this.events.uniform(0, TWO_PI));
    this.linePhase = this.events.uniform(0, TWO_PI);
    this.housing = this.housingTarget(this.ambientAt(0));
    this.sample = {
      t: 0,
      load: this.load,
      shaftHz: m.syncHz,
      ax: 0,
      ay: 0,
      az: 1,
      gx: 0,
      gy: 0,
      gz: 0,
      housingC: this.housing,
      ambientC: this.ambientAt(0),
      pressurePa: 101325,
      humidityPct: 45,
      fault: null,
      severity: 0,
    };
  }

  /** Advance one sample period and return the (reused) sample. */
  step(): MachineSample {
    const s = this.sample;
    const m = this.s.machine;
    const t = this.n * this.dt;
    this.n++;
    s.t = t;

    // Load: random steps, followed with a first-order lag.
    if (m.load.meanHoldS > 0 && t >= this.nextLoadChange) {
      this.loadTarget = this.events.uniform(m.load.min, m.load.max);
      this.nextLoadChange = t + this.drawHold();
    }
    this.load += (this.loadTarget - this.load) * (this.dt / m.load.followS);
    const load = this.load;
    s.load = load;

    // Faults along their ramps.
    let imb = 0;
    let mis = 0;
    let loose = 0;
    let outer = 0;
    let inner = 0;
    let heat = 0;
    let worst = 0;
    let worstKind: MachineFaultKind | null = null;
    for (const f of this.faults) {
      const sev =
        t < f.onsetS ? 0 : f.rampS === 0 ? f.target : f.target * Math.min(1, (t - f.onsetS) / f.rampS);
      if (sev > worst) {
        worst = sev;
        worstKind = f.kind;
      }
      if (f.kind === 'imbalance') imb += sev;
      else if (f.kind === 'misalignment') mis += sev;
      else if (f.kind === 'looseness') loose += sev;
      else if (f.kind === 'bearing-outer-race') outer += sev;
      else if (f.kind === 'bearing-inner-race') inner += sev;
      else heat += sev;
    }
    s.fault = worstKind;
    s.severity = worst;

    // Shaft: induction-motor slip grows with load.
    const f = m.syncHz * (1 - m.ratedSlip * load);
    s.shaftHz = f;
    this.rev += f * this.dt;
    const phi = TWO_PI * this.rev;
    const speed2 = (f / m.syncHz) ** 2;

    // Bearing impacts: one per ball pass, timing jitter from ball slip, exciting the resonance.
    let impulse = 0;
    if (outer > 0) {
      while (this.rev >= this.nextOuter) {
        impulse += outer * AT_FULL_SEVERITY.bearingImpact;
        this.nextOuter += (1 / this.bpfo) * (1 + 0.01 * this.impacts.gaussian());
      }
    } else this.nextOuter = this.rev + 1 / this.bpfo;
    if (inner > 0) {
      while (this.rev >= this.nextInner) {
        // The inner race turns with the shaft: impacts are strongest as the defect passes the load zone.
        impulse += inner * AT_FULL_SEVERITY.bearingImpact * 0.5 * (1 + Math.cos(phi));
        this.nextInner += (1 / this.bpfi) * (1 + 0.01 * this.impacts.gaussian());
      }
    } else this.nextInner = this.rev + 1 / this.bpfi;
    const excitation = impulse + 0.01 * this.noise.gaussian();
    const y = this.a1 * this.y1 + this.a2 * this.y2 + this.gain * excitation;
    this.y2 = this.y1;
    this.y1 = y;

    // Rotating components.
    const a1x = m.residual1xG * speed2 + imb * AT_FULL_SEVERITY.imbalance1x;
    const a2x = m.residual2xG + mis * AT_FULL_SEVERITY.misalignment2x;
    const cos1 = Math.cos(phi);
    const sin1 = Math.sin(phi);
    const cos2 = cos1 * cos1 - sin1 * sin1;
    const sin2 = 2 * sin1 * cos1;
    const line = m.magnetic2fG * load * Math.cos(TWO_PI * 2 * m.lineHz * t + this.linePhase);
    let looseV = 0;
    if (loose > 0) {
      const a = loose * AT_FULL_SEVERITY.looseness;
      for (let k = 1; k <= 8; k++) looseV += (a / k ** 0.6) * Math.cos(k * phi + this.loosePhases[k]!);
      looseV += 0.4 * a * Math.cos(0.5 * phi + this.loosePhases[9]!);
    }
    const bb = m.noiseG * (0.5 + 0.5 * load);
    const nz = this.noise;
    s.ax = a1x * cos1 + a2x * cos2 + 0.5 * looseV + line + y + bb * nz.gaussian();
    s.ay =
      mis * (AT_FULL_SEVERITY.misalignmentAxial1x * cos1 + AT_FULL_SEVERITY.misalignmentAxial2x * sin2) +
      0.3 * a1x * cos1 +
      0.4 * y +
      0.6 * bb * nz.gaussian();
    s.az = 1 + a1x * sin1 + a2x * sin2 + looseV + 0.7 * line + 0.8 * y + bb * nz.gaussian();
    s.gx = 0.05 * nz.gaussian() + 2 * a1x * sin1;
    s.gy = 0.05 * nz.gaussian() + 2 * a1x * cos1;
    s.gz = 0.05 * nz.gaussian();

    // Slow things: ambient day cycle and weather as random walks, housing temperature with a thermal lag.
    // Random walks per √hour (0.5 °C, 100 Pa, 2 %RH), pulled back towards the mean over about two hours.
    const perSqrtHour = Math.sqrt(this.dt / 3600);
    const pull = this.dt / 7200;
    this.ambientWalk += 0.5 * perSqrtHour * nz.gaussian() - this.ambientWalk * pull;
    this.pressureWalk += 100 * perSqrtHour * nz.gaussian() - this.pressureWalk * pull;
    this.humidityWalk += 2 * perSqrtHour * nz.gaussian() - this.humidityWalk * pull;
    const ambient = this.ambientAt(t);
    s.ambientC = ambient;
    this.housing += (this.housingTarget(ambient) - this.housing) * (this.dt / m.thermal.timeConstantS);
    s.housingC = this.housing + heat * AT_FULL_SEVERITY.overheatingC;
    s.pressurePa = 101325 + this.pressureWalk;
    s.humidityPct = Math.min(100, Math.max(0, 45 + this.humidityWalk - 0.5 * (ambient - m.thermal.ambientC)));
    return s;
  }

  private ambientAt(t: number): number {
    const th = this.s.machine.thermal;
    return (
      th.ambientC + th.ambientSwingC * Math.sin((TWO_PI * t) / 86400 + this.ambientPhase) + this.ambientWalk
    );
  }

  private housingTarget(ambient: number): number {
    return ambient + this.s.machine.thermal.riseAtFullLoadC * (0.25 + 0.75 * this.load);
  }

  private drawHold(): number {
    const mean = this.s.machine.load.meanHoldS;
    return mean > 0 ? -mean * Math.log(1 - this.events.next()) : Infinity;
  }
}
