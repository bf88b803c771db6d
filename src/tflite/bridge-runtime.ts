// What the firmware-bridge's int8 runtime (firmware-bridge/runtime) takes: the ops it has kernels for, the
// tensor types it reads, and how much of its fixed tables a model uses. The fit check asks these before a
// model is sent, in the words the board uses when it refuses one at load.
import { builtinOpName, opCodeName } from './ops.js';
import { TENSOR_TYPE_NAMES } from './tensor-type.js';
import type { TfliteModel } from './types.js';

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
/** Tensor element types the runtime reads (tg_model.c type_bytes). */
export const BRIDGE_TENSOR_TYPES = ['int8', 'int32', 'float32'] as const;
const TYPES = new Set<string>(BRIDGE_TENSOR_TYPES);

export interface BridgeLimits {
  maxTensors: number;
  maxOps: number;
  maxChannelParams: number;
}

export interface BridgeNeeds {
  tensors: number;
  ops: number;
  /** Requantization parameters the runtime's kernels reserve (tg_params_reserve in runtime/kernels/). */
  channelParams: number;
  unsupportedOps: string[];
  unsupportedTensors: { name: string; type: string }[];
}

/** What `model` asks of the runtime's tables and kernels. */
export function bridgeNeeds(model: TfliteModel): BridgeNeeds {
  const g = model.subgraphs[0]!;
  let channelParams = 0;
  const unsupported = new Set<string>();
  for (const op of g.operators) {
    const name = opCodeName(model.operatorCodes[op.opcodeIndex]!);
    if (!OPS.has(name)) unsupported.add(name);
    const weights = g.tensors[op.inputs[1] ?? -1];
    const out = g.tensors[op.outputs[0] ?? -1];
    const perChannel = (weights?.quantization?.scale.length ?? 0) > 1;
    if (name === 'FULLY_CONNECTED') channelParams += perChannel ? (weights!.shape[0] ?? 1) : 1;
    else if (name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D')
      channelParams += perChannel ? (out?.shape[3] ?? 1) : 1;
    else if (name === 'ADD' || name === 'SUB' || name === 'MUL') channelParams += 3;
    else if (name === 'MEAN' || name === 'SOFTMAX') channelParams += 1;
  }
  return {
    tensors: g.tensors.length,
    ops: g.operators.length,
    channelParams,
    unsupportedOps: [...unsupported],
    unsupportedTensors: g.tensors
      .filter((t) => !TYPES.has(t.type))
      .map((t) => ({ name: t.name, type: t.type })),
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
