import type { BoardProfile } from '../boards/index.js';
import { operatorMacs } from './macs.js';
import { opCodeName } from './ops.js';
import { greedyArenaPlan } from './plan.js';
import { estimateTflmArena, type TflmEstimate } from './tflm-estimate.js';
import type { Quantization, TensorTypeName, TfliteModel, TfliteTensor } from './types.js';

export interface TensorSummary {
  index: number;
  name: string;
  shape: number[];
  type: TensorTypeName;
  /** Per-tensor: one scale and zero point; per-channel: `channels` of each along `axis`. */
  quantization:
    | { scale: number; zeroPoint: number }
    | { channels: number; axis: number; scale: number[]; zeroPoint: number[] }
    | null;
}

export interface OpSummary {
  index: number;
  op: string;
  version: number;
  inputs: { shape: number[]; type: TensorTypeName }[];
  outputs: { shape: number[]; type: TensorTypeName }[];
  macs: number;
}

export interface BoardFit {
  board: string;
  name: string;
  fits: boolean;
  flash: { budgetBytes: number; needsBytes: number; marginBytes: number; fits: boolean };
  /** Needs: the smallest TFLite Micro arena for the model (a conservative bound for tinygate's own runtime). */
  arena: { budgetBytes: number; needsBytes: number; marginBytes: number; fits: boolean };
}

export interface ModelReport {
  fileBytes: number;
  description: string | null;
  minRuntimeVersion: string | null;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  ops: OpSummary[];
  opCounts: Record<string, number>;
  tensorCount: number;
  /** Bytes of constant data (weights, biases) the tensors use. */
  weightsBytes: number;
  totalMacs: number;
  arena: { headBytes: number; tflm: TflmEstimate };
  boards?: BoardFit[];
}

/** Everything `tinygate inspect` shows, as data: I/O, ops with MACs, sizes, the arena plan and board fit. */
export function inspectModel(
  model: TfliteModel,
  fileBytes: number,
  boards: BoardProfile[] = [],
): ModelReport {
  const g = model.subgraphs[0]!;
  const summary = (index: number): TensorSummary => summarizeTensor(index, g.tensors[index]!);
  const ops: OpSummary[] = g.operators.map((op, index) => {
    const code = model.operatorCodes[op.opcodeIndex]!;
    const io = (list: number[]) =>
      list.filter((t) => t >= 0).map((t) => ({ shape: g.tensors[t]!.shape, type: g.tensors[t]!.type }));
    return {
      index,
      op: opCodeName(code),
      version: code.version,
      inputs: io(op.inputs),
      outputs: io(op.outputs),
      macs: operatorMacs(model, g, op),
    };
  });
  const opCounts: Record<string, number> = {};
  for (const op of ops) opCounts[op.op] = (opCounts[op.op] ?? 0) + 1;

  const weightBuffers = new Set(
    g.tensors.filter((t) => (model.buffers[t.buffer]?.data?.length ?? 0) > 0).map((t) => t.buffer),
  );
  const weightsBytes = [...weightBuffers].reduce((n, b) => n + model.buffers[b]!.data!.length, 0);
  const plan = greedyArenaPlan(model);
  const tflm = estimateTflmArena(model, plan);

  const report: ModelReport = {
    fileBytes,
    description: model.description,
    minRuntimeVersion: metadataString(model, 'min_runtime_version'),
    inputs: g.inputs.map(summary),
    outputs: g.outputs.map(summary),
    ops,
    opCounts,
    tensorCount: g.tensors.length,
    weightsBytes,
    totalMacs: ops.reduce((n, op) => n + op.macs, 0),
    arena: { headBytes: plan.headBytes, tflm },
  };
  if (boards.length) report.boards = boards.map((b) => boardFit(b, fileBytes, tflm.minimumArenaBytes));
  return report;
}

export function boardFit(board: BoardProfile, modelBytes: number, arenaBytes: number): BoardFit {
  const part = (budgetBytes: number, needsBytes: number) => ({
    budgetBytes,
    needsBytes,
    marginBytes: budgetBytes - needsBytes,
    fits: needsBytes <= budgetBytes,
  });
  const flash = part(board.modelBudget.flashBytes, modelBytes);
  const arena = part(board.modelBudget.arenaBytes, arenaBytes);
  return { board: board.id, name: board.name, fits: flash.fits && arena.fits, flash, arena };
}

function summarizeTensor(index: number, t: TfliteTensor): TensorSummary {
  return {
    index,
    name: t.name,
    shape: t.shape,
    type: t.type,
    quantization: summarizeQuantization(t.quantization),
  };
}

function summarizeQuantization(q: Quantization | null): TensorSummary['quantization'] {
  if (!q || q.scale.length === 0) return null;
  if (q.scale.length === 1) return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 };
  return { channels: q.scale.length, axis: q.quantizedDimension, scale: q.scale, zeroPoint: q.zeroPoint };
}

/** A metadata entry whose buffer holds a string (e.g. "min_runtime_version" → "1.14.0"). */
export function metadataString(model: TfliteModel, name: string): string | null {
  const entry = model.metadata.find((m) => m.name === name);
  const data = entry ? model.buffers[entry.buffer]?.data : null;
  if (!data) return null;
  const end = data.indexOf(0);
  return new TextDecoder().decode(end === -1 ? data : data.subarray(0, end));
}
