import * as flatbuffers from 'flatbuffers';
import { TinygateError } from '../errors/index.js';
import { Buffer as FbBuffer } from './generated/tflite/buffer.js';
import { BuiltinOptions as OptionsType } from './generated/tflite/builtin-options.js';
import { CustomQuantization } from './generated/tflite/custom-quantization.js';
import { Metadata } from './generated/tflite/metadata.js';
import { Model } from './generated/tflite/model.js';
import { Operator } from './generated/tflite/operator.js';
import { OperatorCode as FbOperatorCode } from './generated/tflite/operator-code.js';
import { QuantizationDetails } from './generated/tflite/quantization-details.js';
import { QuantizationParameters } from './generated/tflite/quantization-parameters.js';
import { SignatureDef } from './generated/tflite/signature-def.js';
import { SubGraph } from './generated/tflite/sub-graph.js';
import { Tensor } from './generated/tflite/tensor.js';
import { TensorMap } from './generated/tflite/tensor-map.js';
import { encodeOptions } from './options.js';
import { tensorTypeValue } from './tensor-type.js';
import type {
  Quantization,
  Subgraph,
  TensorMap as TensorMapValue,
  TfliteModel,
  TfliteOperator,
} from './types.js';
import { tensorLabel, validateModel } from './validate.js';
import { TFLITE_IDENTIFIER } from './verify.js';

/** TFLite (and TFLite Micro) expect constant data 16-byte aligned in the file. */
const DATA_ALIGNMENT = 16;

/**
 * Serialise a model to .tflite bytes. Validates it first (indices, data sizes) and refuses, with a clear
 * TFLITE_UNSUPPORTED error, anything read from a file that tinygate does not model (an unknown builtin
 * options table, sparsity, external buffers): it never writes a model with a part silently dropped.
 */
export function writeTflite(model: TfliteModel): Uint8Array {
  validateModel(model);
  refuseUnmodeled(model);
  const dataBytes = model.buffers.reduce((n, buf) => n + (buf.data?.length ?? 0) + DATA_ALIGNMENT, 0);
  const b = new flatbuffers.Builder(dataBytes + 64 * 1024);

  // Buffers first: the builder writes back to front, so the bulky data ends up at the end of the file.
  const buffers = model.buffers.map((buf) => {
    const data = buf.data ? alignedByteVector(b, buf.data, DATA_ALIGNMENT) : 0;
    FbBuffer.startBuffer(b);
    if (data) FbBuffer.addData(b, data);
    return FbBuffer.endBuffer(b);
  });

  const operatorCodes = model.operatorCodes.map((c) => {
    const custom = c.customCode !== null ? b.createString(c.customCode) : 0;
    FbOperatorCode.startOperatorCode(b);
    FbOperatorCode.addDeprecatedBuiltinCode(b, c.deprecatedBuiltinCode ?? Math.min(c.builtinCode, 127));
    if (custom) FbOperatorCode.addCustomCode(b, custom);
    FbOperatorCode.addVersion(b, c.version);
    FbOperatorCode.addBuiltinCode(b, c.builtinCode);
    return FbOperatorCode.endOperatorCode(b);
  });

  const subgraphs = model.subgraphs.map((g, s) => writeSubgraph(b, g, s));

  const metadata = model.metadata.map((m) => Metadata.createMetadata(b, b.createString(m.name), m.buffer));
  const signatureDefs = model.signatureDefs.map((d) => {
    const maps = (list: TensorMapValue[]) =>
      list.map((m) => TensorMap.createTensorMap(b, b.createString(m.name), m.tensorIndex));
    const inputs = SignatureDef.createInputsVector(b, maps(d.inputs));
    const outputs = SignatureDef.createOutputsVector(b, maps(d.outputs));
    const key = d.signatureKey !== null ? b.createString(d.signatureKey) : 0;
    SignatureDef.startSignatureDef(b);
    SignatureDef.addInputs(b, inputs);
    SignatureDef.addOutputs(b, outputs);
    if (key) SignatureDef.addSignatureKey(b, key);
    SignatureDef.addSubgraphIndex(b, d.subgraphIndex);
    return SignatureDef.endSignatureDef(b);
  });

  const operatorCodesVec = Model.createOperatorCodesVector(b, operatorCodes);
  const subgraphsVec = Model.createSubgraphsVector(b, subgraphs);
  const description = model.description !== null ? b.createString(model.description) : 0;
  const buffersVec = Model.createBuffersVector(b, buffers);
  const metadataBuffer = model.metadataBuffer.length
    ? Model.createMetadataBufferVector(b, model.metadataBuffer)
    : 0;
  const metadataVec = metadata.length ? Model.createMetadataVector(b, metadata) : 0;
  const signatureVec = signatureDefs.length ? Model.createSignatureDefsVector(b, signatureDefs) : 0;
  Model.startModel(b);
  Model.addVersion(b, model.version);
  Model.addOperatorCodes(b, operatorCodesVec);
  Model.addSubgraphs(b, subgraphsVec);
  if (description) Model.addDescription(b, description);
  Model.addBuffers(b, buffersVec);
  if (metadataBuffer) Model.addMetadataBuffer(b, metadataBuffer);
  if (metadataVec) Model.addMetadata(b, metadataVec);
  if (signatureVec) Model.addSignatureDefs(b, signatureVec);
  b.finish(Model.endModel(b), TFLITE_IDENTIFIER);
  // A copy that owns its memory (and starts 16-byte aligned), not a view into the builder's scratch space.
  return b.asUint8Array().slice();
}

function writeSubgraph(b: flatbuffers.Builder, g: Subgraph, s: number): flatbuffers.Offset {
  const tensors = g.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = Tensor.createShapeVector(b, t.shape);
    const signature = t.shapeSignature ? Tensor.createShapeSignatureVector(b, t.shapeSignature) : 0;
    const quantization = t.quantization ? writeQuantization(b, t.quantization) : 0;
    Tensor.startTensor(b);
    Tensor.addShape(b, shape);
    Tensor.addType(b, tensorTypeValue(t.type));
    Tensor.addBuffer(b, t.buffer);
    Tensor.addName(b, name);
    if (quantization) Tensor.addQuantization(b, quantization);
    Tensor.addIsVariable(b, t.isVariable);
    if (signature) Tensor.addShapeSignature(b, signature);
    Tensor.addHasRank(b, t.hasRank);
    return Tensor.endTensor(b);
  });
  const operators = g.operators.map((op, o) => writeOperator(b, op, `subgraph ${s} operator ${o}`));
  const tensorsVec = SubGraph.createTensorsVector(b, tensors);
  const inputs = SubGraph.createInputsVector(b, g.inputs);
  const outputs = SubGraph.createOutputsVector(b, g.outputs);
  const operatorsVec = SubGraph.createOperatorsVector(b, operators);
  const name = g.name !== null ? b.createString(g.name) : 0;
  SubGraph.startSubGraph(b);
  SubGraph.addTensors(b, tensorsVec);
  SubGraph.addInputs(b, inputs);
  SubGraph.addOutputs(b, outputs);
  SubGraph.addOperators(b, operatorsVec);
  if (name) SubGraph.addName(b, name);
  return SubGraph.endSubGraph(b);
}

function writeQuantization(b: flatbuffers.Builder, q: Quantization): flatbuffers.Offset {
  const min = q.min ? QuantizationParameters.createMinVector(b, q.min) : 0;
  const max = q.max ? QuantizationParameters.createMaxVector(b, q.max) : 0;
  const scale = QuantizationParameters.createScaleVector(b, q.scale);
  const zeroPoint = QuantizationParameters.createZeroPointVector(
    b,
    q.zeroPoint.map((z) => BigInt(z)),
  );
  let custom = 0;
  if (q.custom) {
    const bytes = alignedByteVector(b, q.custom, 16);
    custom = CustomQuantization.createCustomQuantization(b, bytes);
  }
  QuantizationParameters.startQuantizationParameters(b);
  if (min) QuantizationParameters.addMin(b, min);
  if (max) QuantizationParameters.addMax(b, max);
  QuantizationParameters.addScale(b, scale);
  QuantizationParameters.addZeroPoint(b, zeroPoint);
  if (custom) {
    QuantizationParameters.addDetailsType(b, QuantizationDetails.CustomQuantization);
    QuantizationParameters.addDetails(b, custom);
  }
  QuantizationParameters.addQuantizedDimension(b, q.quantizedDimension);
  return QuantizationParameters.endQuantizationParameters(b);
}

function writeOperator(b: flatbuffers.Builder, op: TfliteOperator, where: string): flatbuffers.Offset {
  const inputs = Operator.createInputsVector(b, op.inputs);
  const outputs = Operator.createOutputsVector(b, op.outputs);
  const intermediates = op.intermediates.length ? Operator.createIntermediatesVector(b, op.intermediates) : 0;
  const mutating = op.mutatingVariableInputs.length
    ? Operator.createMutatingVariableInputsVector(b, op.mutatingVariableInputs)
    : 0;
  const custom = op.customOptions ? Operator.createCustomOptionsVector(b, op.customOptions) : 0;
  const [optionsType, options] = op.options ? encodeOptions(b, op.options, where) : [OptionsType.NONE, 0];
  Operator.startOperator(b);
  Operator.addOpcodeIndex(b, op.opcodeIndex);
  Operator.addInputs(b, inputs);
  Operator.addOutputs(b, outputs);
  if (options) {
    Operator.addBuiltinOptionsType(b, optionsType);
    Operator.addBuiltinOptions(b, options);
  }
  if (custom) Operator.addCustomOptions(b, custom);
  Operator.addCustomOptionsFormat(b, op.customOptionsFormat);
  if (mutating) Operator.addMutatingVariableInputs(b, mutating);
  if (intermediates) Operator.addIntermediates(b, intermediates);
  return Operator.endOperator(b);
}

/** A [ubyte] vector whose first byte sits on an `alignment` boundary (the schema's force_align). */
function alignedByteVector(b: flatbuffers.Builder, data: Uint8Array, alignment: number): flatbuffers.Offset {
  b.startVector(1, data.length, alignment);
  // Same as Builder.createByteVector, which only takes alignment 1: copy the bytes in one go.
  const builder = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  builder.space -= data.length;
  builder.bb.setPosition(builder.space);
  builder.bb.bytes().set(data, builder.space);
  return b.endVector();
}

function refuseUnmodeled(model: TfliteModel): void {
  const refuse = (where: string, fields: string[]) => {
    throw new TinygateError(
      'TFLITE_UNSUPPORTED',
      `${where} uses ${fields.join(', ')}, which tinygate does not model, so it cannot be written without losing it`,
      { hint: 'tinygate can read and run this model, but not rewrite it; keep the original file.' },
    );
  };
  if (model.unmodeled?.length)
    refuse(
      'the file',
      model.unmodeled.map((f) => `a field tinygate's schema lacks at ${f}`),
    );
  model.buffers.forEach((buf, i) => {
    if (buf.unmodeled?.length) refuse(`buffer ${i}`, buf.unmodeled);
  });
  model.subgraphs.forEach((g, s) => {
    g.tensors.forEach((t, i) => {
      if (t.unmodeled?.length) refuse(tensorLabel(s, i, t), t.unmodeled);
      const held = model.buffers[t.buffer]?.data ?? null;
      if (t.data && t.data !== held && !sameBytes(t.data, held)) {
        throw new TinygateError(
          'TFLITE_INVALID',
          `${tensorLabel(s, i, t)}: its data differs from buffer ${t.buffer}, which is what gets written`,
          {
            hint: 'Put new constant data in model.buffers[tensor.buffer].data (tensor.data is a read-only view).',
            kind: 'internal',
          },
        );
      }
    });
    g.operators.forEach((op, o) => {
      if (op.unmodeled?.length) refuse(`subgraph ${s} operator ${o}`, op.unmodeled);
    });
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
