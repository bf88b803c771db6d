import * as flatbuffers from 'flatbuffers';
import { TinygateError } from '../errors/index.js';
import { CustomQuantization } from './generated/tflite/custom-quantization.js';
import { Model } from './generated/tflite/model.js';
import type { Operator } from './generated/tflite/operator.js';
import type { Tensor } from './generated/tflite/tensor.js';
import { decodeOptions } from './options.js';
import { tensorTypeName } from './tensor-type.js';
import type {
  ModelBuffer,
  OperatorCode,
  Quantization,
  SignatureDef,
  Subgraph,
  TfliteModel,
  TfliteOperator,
  TfliteTensor,
} from './types.js';
import { validateModel } from './validate.js';
import { verifyTfliteBuffer } from './verify.js';

/**
 * Read a .tflite flatbuffer into a plain typed model. The bytes are checked structurally first (every
 * offset in bounds), then semantically (indices, data lengths); each problem is a TinygateError naming
 * the place. Tensor `data` are views into a private copy of `bytes`.
 */
export function readTflite(input: Uint8Array): TfliteModel {
  // A private, 16-byte-aligned copy: typed-array views need alignment, and callers may reuse their buffer.
  const bytes = new Uint8Array(input.byteLength);
  bytes.set(input);
  const unknownFields = verifyTfliteBuffer(bytes);
  const m = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));

  const buffers: ModelBuffer[] = [];
  for (let i = 0; i < m.buffersLength(); i++) {
    const b = m.buffers(i)!;
    if (b.offset() > 1n || b.size() > 0n) {
      throw new TinygateError(
        'TFLITE_UNSUPPORTED',
        `buffer ${i}: data stored outside the flatbuffer (offset ${b.offset()}, size ${b.size()})`,
        {
          hint: 'Models over 2 GB keep weights after the flatbuffer; tinygate reads only self-contained models.',
        },
      );
    }
    buffers.push({ data: b.dataArray() });
  }

  const operatorCodes: OperatorCode[] = [];
  for (let i = 0; i < m.operatorCodesLength(); i++) {
    const c = m.operatorCodes(i)!;
    const deprecated = c.deprecatedBuiltinCode();
    operatorCodes.push({
      // Old files set only the byte field, new ones both (127 = "see builtin_code"): take the larger.
      builtinCode: Math.max(deprecated, c.builtinCode()),
      deprecatedBuiltinCode: deprecated,
      customCode: c.customCode(),
      version: c.version(),
    });
  }

  const subgraphs: Subgraph[] = [];
  for (let s = 0; s < m.subgraphsLength(); s++) {
    const g = m.subgraphs(s)!;
    const tensors: TfliteTensor[] = [];
    for (let t = 0; t < g.tensorsLength(); t++) {
      tensors.push(readTensor(g.tensors(t)!, `subgraph ${s} tensor ${t}`, buffers));
    }
    const operators: TfliteOperator[] = [];
    for (let o = 0; o < g.operatorsLength(); o++) {
      operators.push(readOperator(g.operators(o)!, `subgraph ${s} operator ${o}`));
    }
    subgraphs.push({
      name: g.name(),
      tensors,
      inputs: ints(g.inputsArray()),
      outputs: ints(g.outputsArray()),
      operators,
    });
  }

  const signatureDefs: SignatureDef[] = [];
  for (let i = 0; i < m.signatureDefsLength(); i++) {
    const d = m.signatureDefs(i)!;
    const maps = (n: number, get: (j: number) => { name(): string | null; tensorIndex(): number } | null) =>
      Array.from({ length: n }, (_, j) => {
        const e = get(j)!;
        return { name: e.name() ?? '', tensorIndex: e.tensorIndex() };
      });
    signatureDefs.push({
      signatureKey: d.signatureKey(),
      subgraphIndex: d.subgraphIndex(),
      inputs: maps(d.inputsLength(), (j) => d.inputs(j)),
      outputs: maps(d.outputsLength(), (j) => d.outputs(j)),
    });
  }

  const model: TfliteModel = {
    version: m.version(),
    description: m.description(),
    operatorCodes,
    subgraphs,
    buffers,
    metadataBuffer: ints(m.metadataBufferArray()),
    metadata: Array.from({ length: m.metadataLength() }, (_, i) => {
      const e = m.metadata(i)!;
      return { name: e.name() ?? '', buffer: e.buffer() };
    }),
    signatureDefs,
  };
  if (unknownFields.length) model.unmodeled = unknownFields;
  validateModel(model);
  return model;
}

function readTensor(t: Tensor, where: string, buffers: ModelBuffer[]): TfliteTensor {
  const name = t.name() ?? '';
  const place = `${where} ${JSON.stringify(name)}`;
  const unmodeled: string[] = [];
  if (t.sparsity()) unmodeled.push('sparsity');
  if (t.variantTensorsLength() > 0) unmodeled.push('variant_tensors');
  const tensor: TfliteTensor = {
    name,
    shape: ints(t.shapeArray()),
    shapeSignature: t.shapeSignatureLength() > 0 ? ints(t.shapeSignatureArray()) : null,
    type: tensorTypeName(t.type(), place),
    buffer: t.buffer(),
    quantization: readQuantization(t),
    isVariable: t.isVariable(),
    hasRank: t.hasRank(),
    data: buffers[t.buffer()]?.data ?? null,
  };
  if (unmodeled.length) tensor.unmodeled = unmodeled;
  return tensor;
}

function readQuantization(t: Tensor): Quantization | null {
  const q = t.quantization();
  if (!q) return null;
  const zeroPoint: number[] = [];
  for (let i = 0; i < q.zeroPointLength(); i++) zeroPoint.push(Number(q.zeroPoint(i)));
  let custom: Uint8Array | null = null;
  if (q.detailsType() === 1)
    custom = (q.details(new CustomQuantization()) as CustomQuantization).customArray();
  return {
    scale: floats(q.scaleArray()),
    zeroPoint,
    quantizedDimension: q.quantizedDimension(),
    min: q.minLength() > 0 ? floats(q.minArray()) : null,
    max: q.maxLength() > 0 ? floats(q.maxArray()) : null,
    custom,
  };
}

function readOperator(o: Operator, where: string): TfliteOperator {
  const unmodeled: string[] = [];
  if (o.largeCustomOptionsSize() > 0n) unmodeled.push('large_custom_options');
  if ((o.builtinOptions2Type() as number) !== 0) unmodeled.push('builtin_options_2');
  const mutating = o.mutatingVariableInputsArray();
  const op: TfliteOperator = {
    opcodeIndex: o.opcodeIndex(),
    inputs: ints(o.inputsArray()),
    outputs: ints(o.outputsArray()),
    intermediates: ints(o.intermediatesArray()),
    options: decodeOptions(o, where),
    customOptions: o.customOptionsArray(),
    customOptionsFormat: o.customOptionsFormat() as number,
    mutatingVariableInputs: mutating ? Array.from(mutating, (v) => v !== 0) : [],
  };
  if (unmodeled.length) op.unmodeled = unmodeled;
  return op;
}

const ints = (a: Int32Array | null): number[] => (a ? Array.from(a) : []);
const floats = (a: Float32Array | null): number[] => (a ? Array.from(a) : []);
