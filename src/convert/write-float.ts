import type { OperatorCode, TfliteModel, TfliteTensor } from '../tflite/index.js';
import { builtinOpCode } from '../tflite/index.js';
import type { Graph } from './graph.js';

/** Op versions of the float kernels (TFLite's versioning: the first version of each op). */
const FLOAT_VERSION: Record<string, number> = { FULLY_CONNECTED: 1, CONV_2D: 1, DEPTHWISE_CONV_2D: 1 };

const bytesOf = (d: Float32Array | Int32Array) =>
  new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();

/**
 * The float graph as a float32 .tflite. With `exposeAll`, every activation is also a graph output,
 * so one interpreter run yields every intermediate value (calibration reads them this way).
 */
export function floatTflite(graph: Graph, o: { exposeAll?: boolean } = {}): TfliteModel {
  const buffers: TfliteModel['buffers'] = [{ data: null }];
  const tensors: TfliteTensor[] = graph.tensors.map((t) => {
    let buffer = 0;
    if (t.data) {
      buffers.push({ data: bytesOf(t.data) });
      buffer = buffers.length - 1;
    }
    return {
      name: t.name,
      shape: [...t.shape],
      shapeSignature: null,
      type: t.data instanceof Int32Array ? 'int32' : 'float32',
      buffer,
      quantization: null,
      isVariable: false,
      hasRank: true,
      data: buffer ? buffers[buffer]!.data : null,
    };
  });
  const codes: OperatorCode[] = [];
  const codeIndex = (op: string, version: number) => {
    const builtinCode = builtinOpCode(op);
    let i = codes.findIndex((c) => c.builtinCode === builtinCode && c.version === version);
    if (i < 0) i = codes.push({ builtinCode, customCode: null, version }) - 1;
    return i;
  };
  const activations = graph.ops.flatMap((op) => op.outputs);
  const outputs = o.exposeAll ? [...new Set([...graph.outputs, ...activations])] : graph.outputs;
  return {
    version: 3,
    description: 'tinygate float model',
    operatorCodes: codes,
    subgraphs: [
      {
        name: 'main',
        tensors,
        inputs: [...graph.inputs],
        outputs,
        operators: graph.ops.map((op) => ({
          opcodeIndex: codeIndex(op.op, FLOAT_VERSION[op.op] ?? 1),
          inputs: [...op.inputs],
          outputs: [...op.outputs],
          intermediates: [],
          options: op.options ? structuredClone(op.options) : null,
          customOptions: null,
          customOptionsFormat: 0,
          mutatingVariableInputs: [],
        })),
      },
    ],
    buffers,
    metadataBuffer: [],
    metadata: [],
    signatureDefs: [],
  };
}
