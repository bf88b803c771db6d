import { TinygateError } from '../errors/index.js';
import { tensorBytes } from './tensor-type.js';
import type { TfliteModel, TfliteTensor } from './types.js';

function invalid(message: string): TinygateError {
  return new TinygateError('TFLITE_INVALID', message, {
    hint: 'The model is inconsistent: re-export it from the converter (or fix the code that built it).',
  });
}

export function tensorLabel(s: number, index: number, tensor: TfliteTensor | undefined): string {
  return `subgraph ${s} tensor ${index}${tensor ? ` ${JSON.stringify(tensor.name)}` : ''}`;
}

/**
 * Checks what the flatbuffer structure cannot: every index in range, shapes non-negative, constant data
 * exactly shape × element size. Run on read (files) and on write (models built in code).
 */
export function validateModel(model: TfliteModel): void {
  const nBuffers = model.buffers.length;
  if (model.subgraphs.length === 0) throw invalid('the model has no subgraphs');

  model.subgraphs.forEach((g, s) => {
    const nTensors = g.tensors.length;
    const checkTensorIndex = (i: number, where: string, optional: boolean) => {
      if (optional && i === -1) return;
      if (!Number.isInteger(i) || i < 0 || i >= nTensors) {
        throw invalid(
          `subgraph ${s} ${where}: tensor index ${i} is out of range (the subgraph has ${nTensors} tensors)`,
        );
      }
    };
    for (const [i, t] of g.inputs.entries()) checkTensorIndex(t, `input ${i}`, false);
    for (const [i, t] of g.outputs.entries()) checkTensorIndex(t, `output ${i}`, false);

    g.tensors.forEach((t, i) => {
      const label = tensorLabel(s, i, t);
      if (t.buffer < 0 || t.buffer >= nBuffers) {
        throw invalid(`${label}: buffer ${t.buffer} is out of range (the model has ${nBuffers} buffers)`);
      }
      const bad = t.shape.find((d) => !Number.isInteger(d) || d < 0);
      if (bad !== undefined) throw invalid(`${label}: shape [${t.shape.join(', ')}] has dimension ${bad}`);
      const data = model.buffers[t.buffer]!.data;
      if (!data || data.length === 0 || t.unmodeled?.includes('sparsity')) return;
      const needs = tensorBytes(t.shape, t.type);
      if (needs !== null && needs !== data.length) {
        throw invalid(
          `${label}: buffer ${t.buffer} holds ${data.length} bytes, shape [${t.shape.join(', ')}] ${t.type} needs ${needs}`,
        );
      }
    });

    g.operators.forEach((op, o) => {
      const where = `operator ${o}`;
      if (op.opcodeIndex < 0 || op.opcodeIndex >= model.operatorCodes.length) {
        throw invalid(
          `subgraph ${s} ${where}: opcode index ${op.opcodeIndex} is out of range (the model has ${model.operatorCodes.length} operator codes)`,
        );
      }
      for (const [i, t] of op.inputs.entries()) checkTensorIndex(t, `${where} input ${i}`, true);
      for (const [i, t] of op.outputs.entries()) checkTensorIndex(t, `${where} output ${i}`, false);
      for (const [i, t] of op.intermediates.entries())
        checkTensorIndex(t, `${where} intermediate ${i}`, false);
    });
  });

  model.metadata.forEach((m, i) => {
    if (m.buffer < 0 || m.buffer >= nBuffers) {
      throw invalid(
        `metadata ${i} ${JSON.stringify(m.name)}: buffer ${m.buffer} is out of range (the model has ${nBuffers} buffers)`,
      );
    }
  });
  model.metadataBuffer.forEach((b, i) => {
    if (b < 0 || b >= nBuffers) {
      throw invalid(`metadata_buffer ${i}: buffer ${b} is out of range (the model has ${nBuffers} buffers)`);
    }
  });
  model.signatureDefs.forEach((d, i) => {
    const g = model.subgraphs[d.subgraphIndex];
    const label = `signature ${i} ${JSON.stringify(d.signatureKey ?? '')}`;
    if (!g) throw invalid(`${label}: subgraph ${d.subgraphIndex} is out of range`);
    for (const m of [...d.inputs, ...d.outputs]) {
      if (m.tensorIndex < 0 || m.tensorIndex >= g.tensors.length) {
        throw invalid(`${label} ${JSON.stringify(m.name)}: tensor ${m.tensorIndex} is out of range`);
      }
    }
  });
}
