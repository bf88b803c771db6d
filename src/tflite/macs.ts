import { opCodeName } from './ops.js';
import { elementCount } from './tensor-type.js';
import type { Subgraph, TfliteModel, TfliteOperator } from './types.js';

/**
 * Multiply-accumulates one run of an op performs. Counted for the ops whose cost is MACs
 * (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D); every other op counts 0.
 */
export function operatorMacs(model: TfliteModel, g: Subgraph, op: TfliteOperator): number {
  const name = opCodeName(model.operatorCodes[op.opcodeIndex]!);
  const out = g.tensors[op.outputs[0]!];
  const weights = op.inputs[1] !== undefined && op.inputs[1] >= 0 ? g.tensors[op.inputs[1]] : undefined;
  if (!out || !weights) return 0;
  const outputs = elementCount(out.shape);
  const w = weights.shape;
  switch (name) {
    case 'FULLY_CONNECTED': // weights [units, depth]: each output sums `depth` products
      return outputs * (w[1] ?? 0);
    case 'CONV_2D': // filter OHWI
      return outputs * (w[1] ?? 0) * (w[2] ?? 0) * (w[3] ?? 0);
    case 'DEPTHWISE_CONV_2D': // filter [1, kh, kw, channels]
      return outputs * (w[1] ?? 0) * (w[2] ?? 0);
    default:
      return 0;
  }
}
