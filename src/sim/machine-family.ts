// Machines of one kind that are not the same machine: another speed, load profile, mount (residual
// unbalance, stator vibration, structural resonance) and noise. A model trained on one must be judged on
// the others, as it will be in a plant.
import type { z } from 'zod';
import { Rng } from './rng.js';
import { MachineSpec } from './scenario.js';

export interface FamilyMember {
  name: string;
  /** What differs from the family's first machine, in words. */
  description: string;
  machine: MachineSpec;
}

/**
 * `count` machines from `seed`; machine 0 is the default motor (the shipped model's kind), the others vary
 * within ranges a fleet of 4-pole motors on mains or a VFD would: speed 24–30 Hz, load 0.2–1, 1× residual
 * 0.5–2×, stator 2f 0.5–1.5×, noise 0.6–1.8×, resonance 300–460 Hz with damping 0.03–0.08.
 */
export function machineFamily(count: number, seed: number): FamilyMember[] {
  const rng = new Rng(seed).fork('family');
  const base = MachineSpec.parse({});
  const out: FamilyMember[] = [{ name: 'm0', description: 'the default motor', machine: base }];
  for (let i = 1; i < count; i++) {
    const syncHz = rng.uniform(24, 30);
    const lineHz = rng.next() < 0.5 ? 50 : 60;
    const minLoad = rng.uniform(0.2, 0.5);
    const scale = {
      residual: rng.uniform(0.5, 2),
      magnetic: rng.uniform(0.5, 1.5),
      noise: rng.uniform(0.6, 1.8),
    };
    const resonanceHz = rng.uniform(300, 460);
    const input: z.input<typeof MachineSpec> = {
      syncHz,
      lineHz,
      load: {
        start: Math.min(1, minLoad + 0.2),
        min: minLoad,
        max: rng.uniform(Math.min(1, minLoad + 0.3), 1),
      },
      residual1xG: base.residual1xG * scale.residual,
      residual2xG: base.residual2xG * scale.residual,
      magnetic2fG: base.magnetic2fG * scale.magnetic,
      noiseG: base.noiseG * scale.noise,
      resonanceHz,
      resonanceDamping: rng.uniform(0.03, 0.08),
    };
    out.push({
      name: `m${i}`,
      description: `${(syncHz * 60).toFixed(0)} rpm sync on ${lineHz} Hz, load ${minLoad.toFixed(2)}–${input.load!.max!.toFixed(2)}, 1× ${scale.residual.toFixed(2)}×, 2f ${scale.magnetic.toFixed(2)}×, noise ${scale.noise.toFixed(2)}×, resonance ${resonanceHz.toFixed(0)} Hz`,
      machine: MachineSpec.parse(input),
    });
  }
  return out;
}
