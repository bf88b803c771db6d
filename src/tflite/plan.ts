import { TinygateError } from '../errors/index.js';
import { tensorBytes } from './tensor-type.js';
import type { TfliteModel } from './types.js';

/** TFLite Micro aligns every arena buffer (offsets and sizes) to 16 bytes. */
export const ARENA_ALIGNMENT = 16;

export interface PlannedBuffer {
  tensorIndex: number;
  name: string;
  /** The tensor's own size (shape × element size). */
  bytes: number;
  /** Size as placed: `bytes` rounded up to the alignment. */
  alignedBytes: number;
  /** Op index that writes it first (0 for subgraph inputs). */
  firstOp: number;
  /** Op index that reads it last (the last op for subgraph outputs). */
  lastOp: number;
  offset: number;
}

export interface ArenaPlan {
  subgraph: number;
  alignment: number;
  /** Bytes the non-persistent buffers need: the arena's "head". */
  headBytes: number;
  /** Placed buffers, in tensor order. */
  buffers: PlannedBuffer[];
  /** One entry per tensor of the subgraph: its arena offset, or −1 when it is not planned (constant, variable, unused). */
  offsets: number[];
}

/**
 * Plan the activation buffers of a subgraph the way TFLite Micro's GreedyMemoryPlanner does: each
 * non-constant tensor lives from the op that writes it to the last op that reads it (inputs from op 0,
 * outputs to the last op); buffers are placed largest first (ties: later tensor first, as TFLM's
 * stable sort over its reversed list gives), each at the lowest aligned offset that overlaps no buffer
 * alive at the same time.
 */
export function greedyArenaPlan(
  model: TfliteModel,
  options: { subgraph?: number; alignment?: number } = {},
): ArenaPlan {
  const subgraph = options.subgraph ?? 0;
  const alignment = options.alignment ?? ARENA_ALIGNMENT;
  const g = model.subgraphs[subgraph];
  if (!g)
    throw new TinygateError('TFLITE_PLAN', `the model has no subgraph ${subgraph}`, { kind: 'internal' });

  const first = new Array<number>(g.tensors.length).fill(-1);
  const last = new Array<number>(g.tensors.length).fill(-1);
  for (const t of g.inputs) first[t] = 0;
  g.operators.forEach((op, i) => {
    for (const t of op.inputs) if (t >= 0) last[t] = Math.max(last[t]!, i);
    for (const t of op.outputs) {
      if (first[t] === -1) first[t] = i;
      last[t] = Math.max(last[t]!, i);
    }
  });
  const lastOp = Math.max(0, g.operators.length - 1);
  for (const t of g.outputs) {
    last[t] = lastOp;
    if (first[t] === -1) first[t] = 0;
  }

  const buffers: PlannedBuffer[] = [];
  g.tensors.forEach((t, i) => {
    const constant = (model.buffers[t.buffer]?.data?.length ?? 0) > 0;
    if (constant || t.isVariable || first[i] === -1) return;
    const bytes = tensorBytes(t.shape, t.type);
    if (!bytes) return;
    if (last[i] === -1) last[i] = first[i]!; // written but never read: alive only while written
    const alignedBytes = alignUp(bytes, alignment);
    buffers.push({
      tensorIndex: i,
      name: t.name,
      bytes,
      alignedBytes,
      firstOp: first[i]!,
      lastOp: last[i]!,
      offset: -1,
    });
  });

  // Largest first; equal sizes: higher tensor index first.
  const order = [...buffers].sort((a, b) => b.alignedBytes - a.alignedBytes || b.tensorIndex - a.tensorIndex);
  const placed: PlannedBuffer[] = []; // kept sorted by offset
  for (const buf of order) {
    let candidate = 0;
    for (const other of placed) {
      if (other.lastOp < buf.firstOp || other.firstOp > buf.lastOp) continue; // never alive together
      if (other.offset - candidate >= buf.alignedBytes) break; // fits in the gap before `other`
      candidate = Math.max(candidate, other.offset + other.alignedBytes);
    }
    buf.offset = candidate;
    const at = placed.findIndex((p) => p.offset > candidate);
    placed.splice(at === -1 ? placed.length : at, 0, buf);
  }

  const offsets = new Array<number>(g.tensors.length).fill(-1);
  for (const b of buffers) offsets[b.tensorIndex] = b.offset;
  const headBytes = buffers.reduce((m, b) => Math.max(m, b.offset + b.alignedBytes), 0);
  return { subgraph, alignment, headBytes, buffers, offsets };
}

/**
 * The plan as TFLite Micro's `OfflineMemoryAllocation` metadata buffer: little-endian int32s
 * [format version 1, subgraph index, tensor count, one offset per tensor (−1 = plan at run time)].
 * The converter stores it as a buffer and names it in model.metadata.
 */
export function offlineMemoryAllocation(plan: ArenaPlan): Uint8Array {
  const words = new Int32Array([1, plan.subgraph, plan.offsets.length, ...plan.offsets]);
  const bytes = new Uint8Array(words.byteLength);
  const view = new DataView(bytes.buffer);
  for (const [i, w] of words.entries()) view.setInt32(i * 4, w, true);
  return bytes;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
