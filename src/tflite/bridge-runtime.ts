// What the firmware-bridge's int8 runtime (firmware-bridge/runtime) takes: the ops it has kernels for, the
// tensor types it reads, and how much of its fixed tables a model uses. The fit check asks these before a
// model is sent, in the words the board uses when it refuses one at load.
import { builtinOpName, opCodeName } from './ops.js';
import { elementCount, TENSOR_TYPE_NAMES } from './tensor-type.js';
import type { TfliteModel, TfliteTensor } from './types.js';

/** The ops of the runtime's kernel table (firmware-bridge/runtime/kernels/tg_kernels.c; board info lists them). */
export const BRIDGE_OPS = [
  'FULLY_CONNECTED',
  'RESHAPE',
  'QUANTIZE',
  'DEQUANTIZE',
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'SOFTMAX',
  'LOGISTIC',
  'TANH',
  'ADD',
  'SUB',
  'MUL',
  'CONCATENATION',
  'PAD',
  'MEAN',
  'SQUEEZE',
] as const;
const OPS = new Set<string>(BRIDGE_OPS);
/** Tensor element types the runtime reads (TG_TYPE_BYTES in tg_model.h). */
export const BRIDGE_TENSOR_TYPES = ['int8', 'int16', 'int32', 'int64', 'float32'] as const;
const TYPES = new Set<string>(BRIDGE_TENSOR_TYPES);

export interface BridgeLimits {
  maxTensors: number;
  maxOps: number;
  maxChannelParams: number;
}

export interface BridgeNeeds {
  tensors: number;
  ops: number;
  /** Requantization parameters the runtime's kernels count (tg_params_count in runtime/kernels/). */
  channelParams: number;
  /**
   * Bytes of the arena the model's tables take below its activations (tg_runtime.c): a u32 per tensor and per
   * op, a byte per op, and each op's kernel data (the layouts in runtime/kernels/), 16-aligned.
   */
  tablesBytes: number;
  /** Scratch the arena planner needs above the tables while loading: 9 bytes per tensor. */
  planScratchBytes: number;
  unsupportedOps: string[];
  unsupportedTensors: { name: string; type: string }[];
  /** Ops whose tensor types their kernel does not run, in the board's words (tg_check_types, tg_prepare_16x8). */
  opTypeProblems: string[];
}

/** Ops with a 16x8 kernel (int16 activations, int8 weights: runtime/kernels/int16x8.c). */
const OPS_16X8 = new Set(['FULLY_CONNECTED', 'CONV_2D']);

/** Why the runtime refuses this op's tensor types, as it says it (first reason only), or null. */
function opTypeProblem(
  name: string,
  inputs: (TfliteTensor | undefined)[],
  out: TfliteTensor,
  constant: (t: TfliteTensor) => boolean,
): string | null {
  const ins = inputs.filter((t): t is TfliteTensor => t !== undefined);
  const input = ins[0]?.type ?? 'int8';
  let ok: boolean;
  if (name === 'RESHAPE' || name === 'SQUEEZE') ok = true;
  else if (name === 'QUANTIZE') ok = input === 'float32' && out.type === 'int8';
  else if (name === 'DEQUANTIZE') ok = input === 'int8' && out.type === 'float32';
  else if (OPS_16X8.has(name) && input === 'int16')
    ok = out.type === 'int16' && ins[1]?.type === 'int8' && constant(ins[1]);
  else ok = out.type === 'int8' && ins.every((t) => constant(t) || t.type === 'int8');
  if (!ok) {
    const takes = OPS_16X8.has(name)
      ? 'int8, or int16 with int8 weights'
      : name === 'QUANTIZE'
        ? 'float32 -> int8'
        : name === 'DEQUANTIZE'
          ? 'int8 -> float32'
          : 'int8';
    return `${name} with ${ins.map((t) => t.type).join(', ')} -> ${out.type}: takes ${takes}`;
  }
  if (!OPS_16X8.has(name) || input !== 'int16') return null;
  const zp = (t: TfliteTensor | undefined) => t?.quantization?.zeroPoint[0] ?? 0;
  if (zp(ins[0]) !== 0 || zp(ins[1]) !== 0 || zp(out) !== 0)
    return '16x8 FULLY_CONNECTED and CONV_2D need zero points 0';
  const bias = inputs[2];
  if (bias?.type !== 'int64' || !constant(bias) || elementCount(bias.shape) !== ins[1]!.shape[0])
    return '16x8 FULLY_CONNECTED and CONV_2D need a constant int64 bias, one per channel';
  return null;
}

const ceil4 = (n: number) => Math.ceil(n / 4) * 4;
/** Each kernel's data (fixed-width structs, the same bytes on every target; TG_DATA_SIZE in the kernels). */
const KERNEL_DATA_BYTES: Record<string, number> = {
  FULLY_CONNECTED: 16,
  CONV_2D: 24,
  DEPTHWISE_CONV_2D: 24,
  AVERAGE_POOL_2D: 12,
  MAX_POOL_2D: 12,
  ADD: 28,
  SUB: 28,
  MUL: 28,
  CONCATENATION: 4,
  PAD: 4,
  MEAN: 16,
  SOFTMAX: 12,
  LOGISTIC: 16,
  TANH: 16,
};

/** What `model` asks of the runtime's tables and kernels. */
export function bridgeNeeds(model: TfliteModel): BridgeNeeds {
  const g = model.subgraphs[0]!;
  let channelParams = 0;
  let opData = 0;
  const unsupported = new Set<string>();
  const opTypeProblems: string[] = [];
  const readable = g.tensors.every((t) => TYPES.has(t.type));
  for (const op of g.operators) {
    const name = opCodeName(model.operatorCodes[op.opcodeIndex]!);
    if (!OPS.has(name)) unsupported.add(name);
    else if (readable) {
      const problem = opTypeProblem(
        name,
        op.inputs.map((i) => (i < 0 ? undefined : g.tensors[i])),
        g.tensors[op.outputs[0]!]!,
        (t) => (model.buffers[t.buffer]?.data?.length ?? 0) > 0,
      );
      if (problem) opTypeProblems.push(problem);
    }
    const weights = g.tensors[op.inputs[1] ?? -1];
    const out = g.tensors[op.outputs[0] ?? -1];
    const perChannel = (weights?.quantization?.scale.length ?? 0) > 1;
    opData += KERNEL_DATA_BYTES[name] ?? 0;
    const channels =
      name === 'FULLY_CONNECTED'
        ? (weights?.shape[0] ?? 1)
        : name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D'
          ? (out?.shape[3] ?? 1)
          : null;
    if (channels !== null) {
      channelParams += perChannel ? channels : 1;
      // Per-channel multipliers (int32) and shifts (int8) follow the kernel's data.
      if (perChannel) opData += 4 * channels + ceil4(channels);
    } else if (name === 'ADD' || name === 'SUB' || name === 'MUL') channelParams += 3;
    else if (name === 'MEAN' || name === 'SOFTMAX') channelParams += 1;
  }
  const tensors = g.tensors.length;
  const ops = g.operators.length;
  return {
    tensors,
    ops,
    channelParams,
    tablesBytes: Math.ceil((4 * tensors + 4 * ops + ceil4(ops) + opData) / 16) * 16,
    planScratchBytes: 9 * tensors,
    unsupportedOps: [...unsupported],
    unsupportedTensors: g.tensors
      .filter((t) => !TYPES.has(t.type))
      .map((t) => ({ name: t.name, type: t.type })),
    opTypeProblems,
  };
}

/** Every reason the runtime would refuse `needs`, with the numbers; empty when it takes the model. */
export function bridgeProblems(needs: BridgeNeeds, limits: BridgeLimits): string[] {
  const problems: string[] = [];
  if (needs.unsupportedOps.length > 0)
    problems.push(`ops without a kernel in the board runtime: ${needs.unsupportedOps.join(', ')}`);
  for (const t of needs.unsupportedTensors.slice(0, 3))
    problems.push(
      `tensor "${t.name}" is ${t.type} (the board runtime reads ${BRIDGE_TENSOR_TYPES.join(', ')})`,
    );
  problems.push(...needs.opTypeProblems.slice(0, 3));
  if (needs.tensors > limits.maxTensors)
    problems.push(`${needs.tensors} tensors, the board runtime holds ${limits.maxTensors}`);
  if (needs.ops > limits.maxOps)
    problems.push(`${needs.ops} operators, the board runtime holds ${limits.maxOps}`);
  if (needs.channelParams > limits.maxChannelParams)
    problems.push(
      `${needs.channelParams} per-channel parameters, the board runtime holds ${limits.maxChannelParams}`,
    );
  return problems;
}

/**
 * The runtime names the ops it knows; others come as BUILTIN_<code>, and tensor types as TYPE_<code>: named
 * here from TFLite's schema, with the runtime's kernels listed when an op has none.
 */
export function nameRuntimeCodes(error: string): string {
  const named = error
    .replace(/BUILTIN_(\d+)/, (_raw, code: string) => builtinOpName(Number(code)))
    .replace(/TYPE_(\d+)/, (_raw, code: string) =>
      (TENSOR_TYPE_NAMES[Number(code)] ?? `type ${code}`).toUpperCase(),
    );
  return /^unsupported op /.test(named)
    ? `${named} (the runtime's kernels: ${BRIDGE_OPS.join(', ')})`
    : named;
}
