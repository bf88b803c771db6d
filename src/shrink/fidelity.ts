import { compareOutputs } from '../convert/accuracy.js';
import { TfliteInterpreter } from '../tflite/index.js';

/** How closely a student's int8 outputs follow the float teacher's on the same samples. */
export interface Fidelity {
  samples: number;
  /** Share of samples whose top class (largest output) is the teacher's; null for a model that is not a classifier. */
  top1Agreement: number | null;
  rmse: number;
  /** RMSE as a fraction of the teacher's output range (max − min over these samples). */
  rmseOverRange: number;
  maxAbsError: number;
}

/** The int8 model's real-valued outputs (inputs quantized, outputs dequantized) in the official interpreter. */
export async function int8Outputs(bytes: Uint8Array, samples: Float32Array[]): Promise<Float32Array[]> {
  const it = await TfliteInterpreter.load(bytes);
  try {
    return samples.map((x) => it.dequantizeOutput(0, it.run(it.quantizeInput(0, x))[0]!));
  } finally {
    it.close();
  }
}

/** Fidelity of `student` outputs to `teacher` outputs, sample by sample. */
export function measureFidelity(
  teacher: Float32Array[],
  student: Float32Array[],
  classifier: boolean,
): Fidelity {
  const a = compareOutputs(teacher, student, null);
  let agree = 0;
  teacher.forEach((t, s) => {
    if (argmax(t) === argmax(student[s]!)) agree++;
  });
  return {
    samples: teacher.length,
    top1Agreement: classifier ? agree / Math.max(1, teacher.length) : null,
    rmse: a.rmse,
    rmseOverRange: a.rmseOverRange,
    maxAbsError: a.maxAbsError,
  };
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
