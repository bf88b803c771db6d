import * as flatbuffers from 'flatbuffers';
import { TinygateError } from '../errors/index.js';
import type { Buffer as FbBuffer } from './generated/tflite/buffer.js';
import { CustomQuantization } from './generated/tflite/custom-quantization.js';
import { Model } from './generated/tflite/model.js';
import type { Operator } from './generated/tflite/operator.js';
import type { QuantizationParameters } from './generated/tflite/quantization-parameters.js';
import type { SubGraph } from './generated/tflite/sub-graph.js';
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
 * Parse a .tflite flatbuffer into a plain typed model, after checking its structure (every offset in
 * bounds) and its meaning (indices in range, constant data sized as shape × type). Tensor data and buffers
 * are views of `bytes` (or of an aligned copy), not copies: replace a buffer's `data` rather than editing it.
 * Throws a TinygateError (TFLITE_NOT_TFLITE, TFLITE_CORRUPT, TFLITE_INVALID) naming the place.
 */
export function readTflite(bytes: Uint8Array): TfliteModel {
  // Typed-array views of float/int vectors need their element alignment from the start of the memory.
  const input = bytes.byteOffset % 16 === 0 ? bytes : new Uint8Array(bytes);
  const unknownFields = verifyTfliteBuffer(input);
  const root = Model.getRootAsModel(new flatbuffers.ByteBuffer(input));

  const buffers: ModelBuffer[] = [];
  for (let i = 0; i < root.buffersLength(); i++) buffers.push(readBuffer(root.buffers(i)!, input, i));

  const operatorCodes: OperatorCode[] = [];
  for (let i = 0; i < root.operatorCodesLength(); i++) {
    const c = root.operatorCodes(i)!;
    operatorCodes.push({
      // Files from before 2.4 only have the byte field; newer ones keep 127 there for codes ≥ 127.
      builtinCode: Math.max(c.deprecatedBuiltinCode(), c.builtinCode()),
      deprecatedBuiltinCode: c.deprecatedBuiltinCode(),
      customCode: c.customCode(),
      version: c.version(),
    });
  }

  const subgraphs: Subgraph[] = [];
  for (let s = 0; s < root.subgraphsLength(); s++)
    subgraphs.push(readSubgraph(root.subgraphs(s)!, s, buffers));

  const metadata = [];
  for (let i = 0; i < root.metadataLength(); i++) {
    const m = root.metadata(i)!;
    metadata.push({ name: m.name() ?? '', buffer: m.buffer() });
  }

  const signatureDefs: SignatureDef[] = [];
  for (let i = 0; i < root.signatureDefsLength(); i++) {
    const d = root.signatureDefs(i)!;
    const maps = (n: number, get: (j: number) => { name(): string | null; tensorIndex(): number } | null) =>
      Array.from({ length: n }, (_, j) => {
        const t = get(j)!;
        return { name: t.name() ?? '', tensorIndex: t.tensorIndex() };
      });
    signatureDefs.push({
      signatureKey: d.signatureKey(),
      subgraphIndex: d.subgraphIndex(),
      inputs: maps(d.inputsLength(), (j) => d.inputs(j)),
      outputs: maps(d.outputsLength(), (j) => d.outputs(j)),
    });
  }

  const model: TfliteModel = {
    version: root.version(),
    description: root.description(),
    operatorCodes,
    subgraphs,
    buffers,
    metadataBuffer: Array.from(root.metadataBufferArray() ?? []),
    metadata,
    signatureDefs,
  };
  if (unknownFields.length) model.unmodeled = unknownFields;
  validateModel(model);
  return model;
}

function readBuffer(b: FbBuffer, bytes: Uint8Array, index: number): ModelBuffer {
  const offset = b.offset();
  if (offset > 1n) {
    // Models over 2 GB keep data after the flatbuffer; tinygate reads it but cannot write such files.
    const start = Number(offset);
    const end = start + Number(b.size());
    if (end > bytes.length) {
      throw new TinygateError(
        'TFLITE_CORRUPT',
        `corrupt TFLite file: buffer ${index} points to bytes ${start}–${end}, past the end of the file (${bytes.length} bytes)`,
        { hint: 'The file is damaged or truncated; copy or export it again.' },
      );
    }
    return { data: bytes.subarray(start, end), unmodeled: ['offset'] };
  }
  return { data: b.dataArray() };
}

function readSubgraph(g: SubGraph, s: number, buffers: ModelBuffer[]): Subgraph {
  const tensors: TfliteTensor[] = [];
  for (let t = 0; t < g.tensorsLength(); t++) tensors.push(readTensor(g.tensors(t)!, s, t, buffers));
  const operators: TfliteOperator[] = [];
  for (let o = 0; o < g.operatorsLength(); o++) operators.push(readOperator(g.operators(o)!, s, o));
  return {
    name: g.name(),
    tensors,
    inputs: Array.from(g.inputsArray() ?? []),
    outputs: Array.from(g.outputsArray() ?? []),
    operators,
  };
}

function readTensor(t: Tensor, s: number, index: number, buffers: ModelBuffer[]): TfliteTensor {
  const name = t.name() ?? '';
  const where = `subgraph ${s} tensor ${index} ${JSON.stringify(name)}`;
  const q = t.quantization();
  const unmodeled: string[] = [];
  if (t.sparsity()) unmodeled.push('sparsity');
  if (t.variantTensorsLength() > 0) unmodeled.push('variant_tensors');
  const buffer = t.buffer();
  const tensor: TfliteTensor = {
    name,
    shape: Array.from(t.shapeArray() ?? []),
    shapeSignature: t.shapeSignatureArray() ? Array.from(t.shapeSignatureArray()!) : null,
    type: tensorTypeName(t.type(), `${where} type`),
    buffer,
    quantization: q ? readQuantization(q) : null,
    isVariable: t.isVariable(),
    hasRank: t.hasRank(),
    // Index range is checked by validateModel; a bad index just leaves data unset here.
    data: buffers[buffer]?.data ?? null,
  };
  if (unmodeled.length) tensor.unmodeled = unmodeled;
  return tensor;
}

function readQuantization(q: QuantizationParameters): Quantization {
  const zeroPoint: number[] = [];
  for (let i = 0; i < q.zeroPointLength(); i++) zeroPoint.push(Number(q.zeroPoint(i)));
  const min = q.minArray();
  const max = q.maxArray();
  const details =
    q.detailsType() === 1 ? (q.details(new CustomQuantization()) as CustomQuantization | null) : null;
  return {
    scale: Array.from(q.scaleArray() ?? []),
    zeroPoint,
    quantizedDimension: q.quantizedDimension(),
    min: min ? Array.from(min) : null,
    max: max ? Array.from(max) : null,
    custom: details?.customArray() ?? null,
  };
}

function readOperator(op: Operator, s: number, index: number): TfliteOperator {
  const where = `subgraph ${s} operator ${index}`;
  const mutating: boolean[] = [];
  for (let i = 0; i < op.mutatingVariableInputsLength(); i++) mutating.push(op.mutatingVariableInputs(i)!);
  const unmodeled: string[] = [];
  if (op.largeCustomOptionsOffset() > 1n || op.largeCustomOptionsSize() > 0n)
    unmodeled.push('large_custom_options');
  if ((op.builtinOptions2Type() as number) !== 0) unmodeled.push('builtin_options_2');
  const operator: TfliteOperator = {
    opcodeIndex: op.opcodeIndex(),
    inputs: Array.from(op.inputsArray() ?? []),
    outputs: Array.from(op.outputsArray() ?? []),
    intermediates: Array.from(op.intermediatesArray() ?? []),
    options: decodeOptions(op, where),
    customOptions: op.customOptionsArray(),
    customOptionsFormat: op.customOptionsFormat(),
    mutatingVariableInputs: mutating,
  };
  if (unmodeled.length) operator.unmodeled = unmodeled;
  return operator;
}
