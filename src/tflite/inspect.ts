import type { BoardProfile } from '../boards/index.js';
import { type BridgeNeeds, bridgeNeeds, bridgeProblems } from './bridge-runtime.js';
import { opCodeName } from './ops.js';
import { type ArenaPlan, estimateTflmArena, planArena, type TflmEstimate } from './plan.js';
import { elementCount } from './tensor-type.js';
import type { TensorTypeName, TfliteModel } from './types.js';

export interface TensorSummary {
  index: number;
  name: string;
  shape: number[];
  type: TensorTypeName;
  quantization: { scale: number[]; zeroPoint: number[]; quantizedDimension: number } | null;
}

export interface OpSummary {
  index: number;
  op: string;
  version: number;
  inputs: { shape: number[]; type: TensorTypeName }[];
  outputs: { shape: number[]; type: TensorTypeName }[];
  /** Multiply-accumulates of one inference (0 for ops that do none). */
  macs: number;
}

export interface BoardFit {
  board: string;
  /** No problem below: the board's store takes the model and (with the bridge runtime) the runtime runs it. */
  fits: boolean;
  flash: { need: number; budget: number; margin: number };
  /** With the bridge runtime, its own arena plan; otherwise TFLite Micro's estimate. */
  arena: { need: number; budget: number; margin: number };
  /** Which runtime the figures are for: ours on the board, or TFLite Micro's estimate where ours is not built. */
  runtime: 'firmware-bridge' | 'tflite-micro-estimate';
  /** Every reason it does not fit, with the numbers. */
  problems: string[];
}

/** What a model asks of a board, for `fitOnBoard`. */
export interface ModelNeeds {
  bytes: number;
  /**
   * Of the board runtime's arena: the model's tables plus its planned activations (arena + tables, what the
   * board reports as used), or the planner's scratch above the tables while loading when that is more.
   */
  bridgeArenaBytes: number;
  /** TFLite Micro's estimated arena. */
  tflmArenaBytes: number;
  bridge: BridgeNeeds;
}

export interface ModelReport {
  bytes: number;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  ops: OpSummary[];
  tensorCount: number;
  /** Bytes of constant data (weights, biases). */
  weightsBytes: number;
  totalMacs: number;
  minRuntimeVersion: string | null;
  plan: { headBytes: number };
  tflm: TflmEstimate;
  needs: ModelNeeds;
  boards: BoardFit[];
}

/** What `tinygate inspect` shows: I/O, ops with MACs, weights, arena plan, and the fit on boards. */
export function inspectModel(model: TfliteModel, bytes: number, boards: BoardProfile[] = []): ModelReport {
  const g = model.subgraphs[0]!;
  const summary = (index: number): TensorSummary => {
    const t = g.tensors[index]!;
    return {
      index,
      name: t.name,
      shape: t.shape,
      type: t.type,
      quantization: t.quantization
        ? {
            scale: t.quantization.scale,
            zeroPoint: t.quantization.zeroPoint,
            quantizedDimension: t.quantization.quantizedDimension,
          }
        : null,
    };
  };
  const io = (list: number[]) =>
    list.filter((t) => t >= 0).map((t) => ({ shape: g.tensors[t]!.shape, type: g.tensors[t]!.type }));
  const ops: OpSummary[] = g.operators.map((op, index) => {
    const code = model.operatorCodes[op.opcodeIndex]!;
    const name = opCodeName(code);
    return {
      index,
      op: name,
      version: code.version,
      inputs: io(op.inputs),
      outputs: io(op.outputs),
      macs: macsOf(name, io(op.inputs), io(op.outputs)),
    };
  });
  const constants = new Set(
    g.tensors.map((t) => t.buffer).filter((b) => (model.buffers[b]?.data?.length ?? 0) > 0),
  );
  const weightsBytes = [...constants].reduce((n, b) => n + model.buffers[b]!.data!.length, 0);
  const plan: ArenaPlan = planArena(model);
  const tflm = estimateTflmArena(model);
  const bridge = bridgeNeeds(model);
  const needs: ModelNeeds = {
    bytes,
    bridgeArenaBytes: bridge.tablesBytes + Math.max(plan.headBytes, bridge.planScratchBytes),
    tflmArenaBytes: tflm.totalBytes,
    bridge,
  };
  return {
    bytes,
    inputs: g.inputs.map(summary),
    outputs: g.outputs.map(summary),
    ops,
    tensorCount: g.tensors.length,
    weightsBytes,
    totalMacs: ops.reduce((n, o) => n + o.macs, 0),
    minRuntimeVersion: minRuntimeVersion(model),
    plan: { headBytes: plan.headBytes },
    tflm,
    needs,
    boards: boards.map((b) => fitOnBoard(b, needs)),
  };
}

/**
 * Does the model fit the board: its store's slot, and the arena. Where the board's profile says the bridge
 * runtime is built for it, the same questions the runtime asks at load (its arena plan, kernels, tensor
 * types, tables); elsewhere TFLite Micro's arena estimate.
 */
export function fitOnBoard(board: BoardProfile, needs: ModelNeeds): BoardFit {
  const { flashBytes, arenaBytes } = board.modelBudget;
  const bridge = board.bridgeRuntime;
  const arena = bridge ? needs.bridgeArenaBytes : needs.tflmArenaBytes;
  const problems: string[] = [];
  if (needs.bytes > flashBytes) problems.push(`${needs.bytes} B of model, a slot holds ${flashBytes} B`);
  if (arena > arenaBytes) problems.push(`${arena} B of arena needed, the board has ${arenaBytes} B`);
  if (bridge) problems.push(...bridgeProblems(needs.bridge, bridge));
  return {
    board: board.id,
    fits: problems.length === 0,
    flash: { need: needs.bytes, budget: flashBytes, margin: flashBytes - needs.bytes },
    arena: { need: arena, budget: arenaBytes, margin: arenaBytes - arena },
    runtime: bridge ? 'firmware-bridge' : 'tflite-micro-estimate',
    problems,
  };
}

/** The `min_runtime_version` metadata string (NUL padded in the file), if present. */
export function minRuntimeVersion(model: TfliteModel): string | null {
  const entry = model.metadata.find((m) => m.name === 'min_runtime_version');
  const data = entry ? model.buffers[entry.buffer]?.data : null;
  if (!data) return null;
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end));
}

type Shaped = { shape: number[] }[];

// MACs as the MLPerf Tiny and TFLite tooling count them: one per weight use.
function macsOf(op: string, inputs: Shaped, outputs: Shaped): number {
  const out = outputs[0]?.shape ?? [];
  const outCount = elementCount(out);
  switch (op) {
    case 'FULLY_CONNECTED': {
      const w = inputs[1]?.shape ?? [0, 0];
      return outCount * (w[1] ?? 0);
    }
    case 'CONV_2D': {
      const f = inputs[1]?.shape ?? [0, 0, 0, 0]; // OHWI
      return outCount * (f[1] ?? 0) * (f[2] ?? 0) * (f[3] ?? 0);
    }
    case 'DEPTHWISE_CONV_2D': {
      const f = inputs[1]?.shape ?? [0, 0, 0, 0]; // 1, H, W, C·M
      return outCount * (f[1] ?? 0) * (f[2] ?? 0);
    }
    case 'ADD':
    case 'SUB':
    case 'MUL':
      return outCount;
    default:
      return 0;
  }
}
