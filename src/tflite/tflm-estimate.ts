import { opCodeName } from './ops.js';
import { type ArenaPlan, alignUp, greedyArenaPlan } from './plan.js';
import type { TfliteModel } from './types.js';

/**
 * What TFLite Micro keeps in its arena besides the planned head, for a 32-bit (Cortex-M) build.
 * Struct sizes are the 32-bit layouts; the FULLY_CONNECTED figures were measured with the real TFLM
 * (see /shared/reference-models: hello_world_int8 uses 676 B, ad01_int8 2260 B). Other kernels' op data
 * are estimates from their OpData structs, not measurements.
 */
export const TFLM_32BIT = {
  /** SingleArenaBufferAllocator, MicroAllocator and the GreedyMemoryPlanner objects, placed in the arena. */
  allocatorBase: 132,
  /** TfLiteEvalTensor (data pointer, dims pointer, type) for every tensor of the subgraph. */
  evalTensorBytes: 12,
  /** NodeAndRegistration per operator. */
  nodeAndRegistrationBytes: 32,
  /** TfLiteTensor for each tensor the application fetches through input()/output(). */
  ioTensorBytes: 32,
  /** A quantized I/O tensor's TfLiteAffineQuantization (the zero-point array is counted apart). */
  ioQuantizationBytes: 12,
  /** Per op: the kernel's persistent OpData plus the parsed builtin options (TfLite*Params). */
  opBytes: {
    FULLY_CONNECTED: { opData: 48, params: 16 },
    CONV_2D: { opData: 48, params: 28, perOutputChannel: 8 },
    DEPTHWISE_CONV_2D: { opData: 48, params: 28, perOutputChannel: 8 },
    AVERAGE_POOL_2D: { opData: 24, params: 40 },
    MAX_POOL_2D: { opData: 24, params: 40 },
    SOFTMAX: { opData: 24, params: 4 },
    RESHAPE: { opData: 0, params: 36 },
  } as Record<string, { opData: number; params: number; perOutputChannel?: number }>,
  /** Op data assumed for a kernel not in the table above. */
  defaultOpBytes: 32,
  /** Scratch used only while AllocateTensors runs (from the head side): per tensor, and per planned buffer. */
  allocationScratchPerTensor: 24,
  allocationScratchPerBuffer: 40,
} as const;

export interface TflmEstimate {
  headBytes: number;
  /** Persistent allocations (the arena's tail). */
  tailBytes: number;
  /** What TFLM reports as arena_used_bytes() after AllocateTensors: head + tail. */
  usedBytes: number;
  /** The smallest arena AllocateTensors succeeds with: the tail plus the larger of head and allocation scratch. */
  minimumArenaBytes: number;
  /** The tail's parts, for reports. */
  parts: { part: string; bytes: number }[];
  /** True when every op's kernel data comes from a measured figure (today: only FULLY_CONNECTED). */
  calibrated: boolean;
}

/** Estimate TFLite Micro's arena for a model on a 32-bit MCU, from the greedy plan and the struct sizes above. */
export function estimateTflmArena(
  model: TfliteModel,
  plan: ArenaPlan = greedyArenaPlan(model),
): TflmEstimate {
  const c = TFLM_32BIT;
  const g = model.subgraphs[plan.subgraph]!;
  const io = [...g.inputs, ...g.outputs].map((i) => g.tensors[i]!);
  const ioQuant = io.reduce((n, t) => {
    const zp = t.quantization?.zeroPoint.length ?? 0;
    return n + (zp > 0 ? c.ioQuantizationBytes + 4 + 4 * zp : 0);
  }, 0);
  let opBytes = 0;
  let calibrated = true;
  for (const op of g.operators) {
    const name = opCodeName(model.operatorCodes[op.opcodeIndex]!);
    const entry = c.opBytes[name];
    if (name !== 'FULLY_CONNECTED') calibrated = false;
    if (!entry) {
      opBytes += c.defaultOpBytes;
      continue;
    }
    const out = g.tensors[op.outputs[0]!];
    const channels = out?.shape.at(-1) ?? 0;
    opBytes += alignUp(entry.opData + (entry.perOutputChannel ?? 0) * channels, 4) + entry.params;
  }
  const parts = [
    { part: 'allocator', bytes: c.allocatorBase },
    {
      part: `eval tensors (${g.tensors.length} × ${c.evalTensorBytes})`,
      bytes: g.tensors.length * c.evalTensorBytes,
    },
    {
      part: `nodes (${g.operators.length} × ${c.nodeAndRegistrationBytes})`,
      bytes: g.operators.length * c.nodeAndRegistrationBytes,
    },
    { part: `I/O tensors (${io.length} × ${c.ioTensorBytes})`, bytes: io.length * c.ioTensorBytes },
    { part: 'I/O quantization', bytes: ioQuant },
    { part: 'kernel op data and options', bytes: opBytes },
  ];
  const tailBytes = parts.reduce((n, p) => n + p.bytes, 0);
  const scratch =
    g.tensors.length * c.allocationScratchPerTensor + plan.buffers.length * c.allocationScratchPerBuffer;
  return {
    headBytes: plan.headBytes,
    tailBytes,
    usedBytes: plan.headBytes + tailBytes,
    minimumArenaBytes: tailBytes + Math.max(plan.headBytes, scratch),
    parts,
    calibrated,
  };
}
