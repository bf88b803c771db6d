import { opCodeName } from './ops.js';
import { tensorBytes } from './tensor-type.js';
import type { TfliteModel } from './types.js';

/** TFLite Micro aligns every arena buffer (offset and size) to 16 bytes. */
export const ARENA_ALIGNMENT = 16;

export interface PlannedBuffer {
  tensor: number;
  name: string;
  /** Bytes rounded up to the alignment. */
  bytes: number;
  /** First and last operator index during which the tensor must hold its value. */
  firstOp: number;
  lastOp: number;
  offset: number;
}

export interface ArenaPlan {
  /** Peak of the non-persistent ("head") part of the arena: all activations, greedily overlapped. */
  headBytes: number;
  buffers: PlannedBuffer[];
  /** One offset per tensor of subgraph 0, −1 for tensors not in the arena (constants): OfflineMemoryAllocation order. */
  offsets: number[];
}

const alignUp = (n: number, a = ARENA_ALIGNMENT) => Math.ceil(n / a) * a;

/**
 * Plan subgraph 0's activations the way TFLite Micro's GreedyMemoryPlanner does: each tensor lives
 * from the op that writes it (0 for graph inputs) to the last op that reads it (the end for graph
 * outputs); buffers are placed largest first, each at the lowest offset where it overlaps no placed
 * buffer that is alive at the same time.
 */
export function planArena(model: TfliteModel): ArenaPlan {
  const g = model.subgraphs[0]!;
  const last = Math.max(0, g.operators.length - 1);
  const first = new Map<number, number>();
  const lastUse = new Map<number, number>();
  const isConstant = (t: number) => (model.buffers[g.tensors[t]!.buffer]?.data?.length ?? 0) > 0;
  const touch = (t: number, op: number) => {
    if (t < 0 || isConstant(t) || g.tensors[t]!.isVariable) return;
    if (!first.has(t)) first.set(t, op);
    lastUse.set(t, Math.max(lastUse.get(t) ?? op, op));
  };
  for (const t of g.inputs) touch(t, 0);
  g.operators.forEach((op, i) => {
    for (const t of op.outputs) touch(t, i);
    for (const t of op.inputs) touch(t, i);
    for (const t of op.intermediates) touch(t, i);
  });
  for (const t of g.outputs) touch(t, last);

  const buffers: PlannedBuffer[] = [...first.keys()].map((t) => {
    const tensor = g.tensors[t]!;
    return {
      tensor: t,
      name: tensor.name,
      bytes: alignUp(tensorBytes(tensor.shape, tensor.type) ?? 0),
      firstOp: first.get(t)!,
      lastOp: lastUse.get(t)!,
      offset: 0,
    };
  });

  // Largest first; equal sizes keep tensor order, so the plan is deterministic.
  const order = [...buffers].sort((a, b) => b.bytes - a.bytes || a.tensor - b.tensor);
  const placed: PlannedBuffer[] = [];
  for (const buf of order) {
    const overlapping = placed
      .filter((p) => p.firstOp <= buf.lastOp && buf.firstOp <= p.lastOp)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of overlapping) {
      if (offset + buf.bytes <= p.offset) break;
      offset = Math.max(offset, alignUp(p.offset + p.bytes));
    }
    buf.offset = offset;
    placed.push(buf);
  }
  const headBytes = buffers.reduce((m, b) => Math.max(m, b.offset + b.bytes), 0);
  const offsets = g.tensors.map(() => -1);
  for (const b of buffers) offsets[b.tensor] = b.offset;
  return { headBytes, buffers: buffers.sort((a, b) => a.tensor - b.tensor), offsets };
}

/**
 * TFLite Micro's persistent ("tail") allocations on a 32-bit target, from sizes measured on a
 * Cortex-M build (see docs/tflite.md): the allocator itself, one TfLiteEvalTensor per tensor, one
 * NodeAndRegistration per op, a TfLiteTensor plus its quantization arrays for every graph input and
 * output the application fetches, and each kernel's op data.
 */
export const TFLM_32BIT = {
  allocatorBase: 132,
  evalTensor: 12,
  nodeAndRegistration: 32,
  ioTensor: 32,
  /** Scratch AllocateTensors borrows from the head while it runs: per tensor, and per planned buffer. */
  allocationScratchPerTensor: 24,
  allocationScratchPerBuffer: 40,
  /** TfLiteAffineQuantization (12) + scale and zero-point arrays (4-byte length + 4 per channel, each). */
  ioQuantization: (channels: number) => 12 + 2 * (4 + 4 * channels),
  /** Op data per kernel; per-channel kernels add a multiplier and a shift (int32 each) per output channel. */
  opData: (op: string, outChannels: number): number => {
    switch (op) {
      case 'FULLY_CONNECTED':
        return 48;
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D':
        return 48 + 8 * outChannels;
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D':
        return 24;
      case 'SOFTMAX':
      case 'LOGISTIC':
      case 'TANH':
        return 48;
      case 'ADD':
      case 'SUB':
      case 'MUL':
        return 64;
      case 'QUANTIZE':
      case 'DEQUANTIZE':
      case 'LEAKY_RELU':
      case 'HARD_SWISH':
        return 32;
      default:
        return 16;
    }
  },
} as const;

export interface TflmEstimate {
  headBytes: number;
  tailBytes: number;
  /** arena_used_bytes() after AllocateTensors: head + tail. */
  totalBytes: number;
  /** The smallest arena AllocateTensors succeeds in: the tail plus the larger of the head and its own scratch. */
  minimumBytes: number;
}

/** Estimated TFLite Micro arena use (`arena_used_bytes()`) on a 32-bit MCU: planned head + tail model. */
export function estimateTflmArena(model: TfliteModel, plan: ArenaPlan = planArena(model)): TflmEstimate {
  const g = model.subgraphs[0]!;
  const c = TFLM_32BIT;
  let tail = c.allocatorBase + c.evalTensor * g.tensors.length + c.nodeAndRegistration * g.operators.length;
  for (const t of [...g.inputs, ...g.outputs]) {
    const q = g.tensors[t]!.quantization;
    tail += c.ioTensor + (q?.scale.length ? c.ioQuantization(q.scale.length) : 0);
  }
  for (const op of g.operators) {
    const out = g.tensors[op.outputs[0] ?? -1];
    const channels = out?.shape.at(-1) ?? 1;
    tail += c.opData(opCodeName(model.operatorCodes[op.opcodeIndex]!), channels);
  }
  const scratch =
    c.allocationScratchPerTensor * g.tensors.length + c.allocationScratchPerBuffer * plan.buffers.length;
  return {
    headBytes: plan.headBytes,
    tailBytes: tail,
    totalBytes: plan.headBytes + tail,
    minimumBytes: tail + Math.max(plan.headBytes, scratch),
  };
}
