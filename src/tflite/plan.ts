import { opCodeName } from './ops.js';
import { elementCount, tensorBytes } from './tensor-type.js';
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
 * buffer that is alive at the same time. Equal sizes go in tensor order, as our runtime's planner takes
 * them; `ties: 'tflm'` takes the last tensor first, as TFLite Micro's planner does (it lists its buffers
 * from the tail before a stable sort), which can give another peak (vww_96: 73,728 B against 64,512).
 */
export function planArena(model: TfliteModel, ties: 'tensor-order' | 'tflm' = 'tensor-order'): ArenaPlan {
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

  // TFLite Micro also plans its kernels' scratch buffers, each alive during its op, after the tensors.
  if (ties === 'tflm')
    tflmScratchBuffers(model).forEach((s, k) => {
      buffers.push({
        tensor: g.tensors.length + k,
        name: `scratch ${k} (${s.op})`,
        bytes: alignUp(s.bytes),
        firstOp: s.at,
        lastOp: s.at,
        offset: 0,
      });
    });

  // Largest first; equal sizes in the order `ties` names, so the plan is deterministic.
  const order = [...buffers].sort(
    (a, b) => b.bytes - a.bytes || (ties === 'tflm' ? b.tensor - a.tensor : a.tensor - b.tensor),
  );
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
  for (const b of buffers) if (b.tensor < offsets.length) offsets[b.tensor] = b.offset;
  return { headBytes, buffers: buffers.sort((a, b) => a.tensor - b.tensor), offsets };
}

/**
 * The scratch buffers TFLite Micro's reference kernels request in the arena (RequestScratchBufferInArena), of
 * the ops tinygate's runtime has: int8 and int16 MEAN's int32 sums (one per output), the input's index
 * iterator (an int per input dimension) and its resolved axes (an int per axis).
 */
export function tflmScratchBuffers(model: TfliteModel): { op: string; at: number; bytes: number }[] {
  const g = model.subgraphs[0]!;
  const out: { op: string; at: number; bytes: number }[] = [];
  g.operators.forEach((op, at) => {
    const name = opCodeName(model.operatorCodes[op.opcodeIndex]!);
    if (name !== 'MEAN') return;
    const input = g.tensors[op.inputs[0]!]!;
    const count = (t: number) => elementCount(g.tensors[t]!.shape);
    if (input.type === 'int8' || input.type === 'int16')
      out.push({ op: name, at, bytes: 4 * count(op.outputs[0]!) });
    out.push(
      { op: name, at, bytes: 4 * input.shape.length },
      { op: name, at, bytes: 4 * count(op.inputs[1]!) },
    );
  });
  return out;
}

/**
 * TFLite Micro's persistent ("tail") allocations on a 32-bit target, measured with TFLite Micro itself on
 * the emulated Cortex-M3 (bench/peers/tflm): chains of one, two and three ops of each kind, and for the
 * per-channel kernels 8 and 32 channels, the tail growing by what one op adds (docs/tflite.md). Per op
 * that is its NodeAndRegistration, its builtin parameters and its kernel's op data, each aligned as
 * TFLite Micro aligns them (so a second op of a kind can cost 16 B more or less than the first: the figures
 * are the mean); one TfLiteEvalTensor per tensor; a TfLiteTensor and its quantization for each graph input
 * and output the application fetches; and the allocator's own objects.
 */
export const TFLM_32BIT = {
  allocatorBase: 160,
  evalTensor: 12,
  nodeAndRegistration: 32,
  ioTensor: 32,
  /** Scratch AllocateTensors borrows from the head while it runs: per tensor, and per planned buffer. */
  allocationScratchPerTensor: 24,
  allocationScratchPerBuffer: 40,
  /** Per kernel scratch buffer: its ScratchBufferHandle (persistent) and its ScratchBufferRequest (while it plans). */
  scratchHandle: 4,
  scratchRequest: 12,
  /** TfLiteAffineQuantization (12) + the zero-point array (4-byte length + 4 per channel); the scales stay in the model. */
  ioQuantization: (channels: number) => 16 + 4 * channels,
  /** Builtin parameters + op data per op; per-channel kernels add a multiplier and a shift (int32 each) per output channel. */
  opData: (op: string, outChannels: number): number => {
    switch (op) {
      case 'FULLY_CONNECTED':
        return 52;
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D':
        return 92 + 8 * outChannels;
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D':
      case 'SOFTMAX':
      case 'ADD':
        return 68;
      case 'PAD':
        return 64;
      case 'MEAN':
        return 52;
      case 'SUB':
        return 60;
      case 'MUL':
        return 44;
      case 'RESHAPE':
        return 40;
      case 'QUANTIZE':
      case 'DEQUANTIZE':
        return 36;
      default:
        return 20;
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
export function estimateTflmArena(
  model: TfliteModel,
  plan: ArenaPlan = planArena(model, 'tflm'),
): TflmEstimate {
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
  // A kernel's scratch buffer: a persistent handle, and while it plans an allocation record and a request.
  const requests = plan.buffers.length - plan.offsets.filter((o) => o >= 0).length;
  tail += c.scratchHandle * requests;
  const scratch =
    c.allocationScratchPerTensor * (g.tensors.length + requests) +
    c.allocationScratchPerBuffer * plan.buffers.length +
    c.scratchRequest * requests;
  return {
    headBytes: plan.headBytes,
    tailBytes: tail,
    totalBytes: plan.headBytes + tail,
    minimumBytes: tail + Math.max(plan.headBytes, scratch),
  };
}
