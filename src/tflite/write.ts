import * as flatbuffers from 'flatbuffers';
import { TinygateError } from '../errors/index.js';
import { Buffer as FbBuffer } from './generated/tflite/buffer.js';
import { BuiltinOptions as OptionsType } from './generated/tflite/builtin-options.js';
import { CustomQuantization } from './generated/tflite/custom-quantization.js';
import { Metadata } from './generated/tflite/metadata.js';
import { Model } from './generated/tflite/model.js';
import { Operator } from './generated/tflite/operator.js';
import { OperatorCode } from './generated/tflite/operator-code.js';
import { QuantizationParameters } from './generated/tflite/quantization-parameters.js';
import { SignatureDef } from './generated/tflite/signature-def.js';
import { SubGraph } from './generated/tflite/sub-graph.js';
import { Tensor } from './generated/tflite/tensor.js';
import { TensorMap } from './generated/tflite/tensor-map.js';
import { encodeOptions } from './options.js';
import { tensorTypeValue } from './tensor-type.js';
import type { Quantization, TfliteModel, TfliteOperator, TfliteTensor } from './types.js';
import { validateModel } from './validate.js';

/** TFLite asks for 16-byte aligned buffer data (schema `force_align: 16`), so kernels can read it in place. */
const DATA_ALIGN = 16;
/** TFLite's file identifier, bytes 4–7. */
const IDENTIFIER = 'TFL3';

/**
 * Write a model as a .tflite flatbuffer. The model is validated first (the same checks as reading), and
 * anything tinygate cannot write faithfully (an unmodelled options table, sparsity) is refused with the
 * place named — never dropped. Buffers are the source of truth for constant data.
 */
export function writeTflite(model: TfliteModel): Uint8Array {
  validateModel(model);
  refuseUnmodeled(model);
  const b = new flatbuffers.Builder(1024 + model.buffers.reduce((n, x) => n + (x.data?.length ?? 0), 0));

  // Big data first, so its alignment padding is computed once and the tables stay compact after it.
  const bufferOffsets = model.buffers.map((buf) => {
    const data = buf.data === null ? 0 : alignedBytes(b, buf.data);
    FbBuffer.startBuffer(b);
    if (data) FbBuffer.addData(b, data);
    return FbBuffer.endBuffer(b);
  });
  const buffers = Model.createBuffersVector(b, bufferOffsets);

  const opcodes = Model.createOperatorCodesVector(
    b,
    model.operatorCodes.map((c) =>
      OperatorCode.createOperatorCode(
        b,
        c.deprecatedBuiltinCode ?? Math.min(c.builtinCode, 127),
        c.customCode === null ? 0 : b.createString(c.customCode),
        c.version,
        c.builtinCode,
      ),
    ),
  );

  const subgraphs = Model.createSubgraphsVector(
    b,
    model.subgraphs.map((g, s) => {
      const tensors = SubGraph.createTensorsVector(
        b,
        g.tensors.map((t) => writeTensor(b, t)),
      );
      const operators = SubGraph.createOperatorsVector(
        b,
        g.operators.map((op, o) => writeOperator(b, op, `subgraph ${s} operator ${o}`)),
      );
      return SubGraph.createSubGraph(
        b,
        tensors,
        SubGraph.createInputsVector(b, g.inputs),
        SubGraph.createOutputsVector(b, g.outputs),
        operators,
        g.name === null ? 0 : b.createString(g.name),
      );
    }),
  );

  const metadata = model.metadata.length
    ? Model.createMetadataVector(
        b,
        model.metadata.map((m) => Metadata.createMetadata(b, b.createString(m.name), m.buffer)),
      )
    : 0;
  const metadataBuffer = model.metadataBuffer.length
    ? Model.createMetadataBufferVector(b, model.metadataBuffer)
    : 0;
  const signatures = model.signatureDefs.length
    ? Model.createSignatureDefsVector(
        b,
        model.signatureDefs.map((d) => {
          const maps = (list: { name: string; tensorIndex: number }[]) =>
            list.map((m) => TensorMap.createTensorMap(b, b.createString(m.name), m.tensorIndex));
          return SignatureDef.createSignatureDef(
            b,
            SignatureDef.createInputsVector(b, maps(d.inputs)),
            SignatureDef.createOutputsVector(b, maps(d.outputs)),
            d.signatureKey === null ? 0 : b.createString(d.signatureKey),
            d.subgraphIndex,
          );
        }),
      )
    : 0;

  const root = Model.createModel(
    b,
    model.version,
    opcodes,
    subgraphs,
    model.description === null ? 0 : b.createString(model.description),
    buffers,
    metadataBuffer,
    metadata,
    signatures,
  );
  b.finish(root, IDENTIFIER);
  return b.asUint8Array().slice();
}

/** A byte vector whose first element sits on a DATA_ALIGN boundary of the finished file. */
function alignedBytes(b: flatbuffers.Builder, data: Uint8Array): flatbuffers.Offset {
  b.startVector(1, data.length, DATA_ALIGN);
  // The generated helper adds bytes one by one; a megabyte of weights deserves one copy.
  const internal = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  internal.space -= data.length;
  internal.bb.bytes().set(data, internal.space);
  return b.endVector();
}

function writeTensor(b: flatbuffers.Builder, t: TfliteTensor): flatbuffers.Offset {
  const shape = Tensor.createShapeVector(b, t.shape);
  const name = b.createString(t.name);
  const quantization = t.quantization ? writeQuantization(b, t.quantization) : 0;
  const signature = t.shapeSignature ? Tensor.createShapeSignatureVector(b, t.shapeSignature) : 0;
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
}

function writeQuantization(b: flatbuffers.Builder, q: Quantization): flatbuffers.Offset {
  const min = q.min ? QuantizationParameters.createMinVector(b, q.min) : 0;
  const max = q.max ? QuantizationParameters.createMaxVector(b, q.max) : 0;
  const scale = q.scale.length ? QuantizationParameters.createScaleVector(b, q.scale) : 0;
  const zeroPoint = q.zeroPoint.length
    ? QuantizationParameters.createZeroPointVector(
        b,
        q.zeroPoint.map((z) => BigInt(z)),
      )
    : 0;
  const custom = q.custom
    ? CustomQuantization.createCustomQuantization(b, CustomQuantization.createCustomVector(b, q.custom))
    : 0;
  return QuantizationParameters.createQuantizationParameters(
    b,
    min,
    max,
    scale,
    zeroPoint,
    custom ? 1 : 0,
    custom,
    q.quantizedDimension,
  );
}

function writeOperator(b: flatbuffers.Builder, op: TfliteOperator, where: string): flatbuffers.Offset {
  const inputs = Operator.createInputsVector(b, op.inputs);
  const outputs = Operator.createOutputsVector(b, op.outputs);
  const [optionsType, options] = op.options ? encodeOptions(b, op.options, where) : [OptionsType.NONE, 0];
  const custom = op.customOptions ? Operator.createCustomOptionsVector(b, op.customOptions) : 0;
  const mutating = op.mutatingVariableInputs.length
    ? Operator.createMutatingVariableInputsVector(b, op.mutatingVariableInputs)
    : 0;
  const intermediates = op.intermediates.length ? Operator.createIntermediatesVector(b, op.intermediates) : 0;
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

function refuseUnmodeled(model: TfliteModel): void {
  if (model.unmodeled?.length) {
    throw new TinygateError(
      'TFLITE_UNSUPPORTED',
      `the file sets fields tinygate's TFLite schema does not know, so it cannot be rewritten without losing them: ${model.unmodeled.join(', ')}`,
      {
        hint: 'The model was written with a newer TFLite schema: it is readable and runnable, only rewriting it is refused.',
      },
    );
  }
  model.subgraphs.forEach((g, s) => {
    g.tensors.forEach((t, i) => {
      if (t.unmodeled?.length) {
        throw new TinygateError(
          'TFLITE_UNSUPPORTED',
          `subgraph ${s} tensor ${i} ${JSON.stringify(t.name)}: ${t.unmodeled.join(', ')} cannot be written by tinygate`,
          { hint: 'Sparse and variant tensors are not supported; export the model dense.' },
        );
      }
      const data = model.buffers[t.buffer]?.data ?? null;
      if (t.data !== undefined && t.data !== data && !sameBytes(t.data, data)) {
        throw new TinygateError(
          'TFLITE_INVALID',
          `subgraph ${s} tensor ${i} ${JSON.stringify(t.name)}: its data differs from buffer ${t.buffer}`,
          {
            hint: 'Constant data is written from model.buffers: change the buffer, not the tensor view.',
            kind: 'internal',
          },
        );
      }
    });
    g.operators.forEach((op, o) => {
      if (op.unmodeled?.length) {
        throw new TinygateError(
          'TFLITE_UNSUPPORTED',
          `subgraph ${s} operator ${o}: ${op.unmodeled.join(', ')} cannot be written by tinygate`,
          { hint: 'The file is readable and runnable; only rewriting it is refused, so nothing is dropped.' },
        );
      }
    });
  });
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b || (a?.length ?? 0) + (b?.length ?? 0) === 0;
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
