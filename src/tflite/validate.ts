import { TinygateError } from '../errors/index.js';
import { tensorBytes } from './tensor-type.js';
import type { TfliteModel } from './types.js';

function invalid(message: string): TinygateError {
  return new TinygateError('TFLITE_INVALID', `invalid TFLite model: ${message}`, {
    hint: 'The file is damaged, or was written by a broken tool; convert or export the model again.',
  });
}

/**
 * Semantic checks a structurally sound flatbuffer can still fail: every index in range, every constant
 * tensor's data as long as its shape and type need. Messages name the subgraph, tensor and buffer.
 */
export function validateModel(model: TfliteModel): void {
  const nBuffers = model.buffers.length;
  if (model.subgraphs.length === 0) throw invalid('the model has no subgraph');
  model.subgraphs.forEach((g, s) => {
    const nTensors = g.tensors.length;
    g.tensors.forEach((t, i) => {
      const place = `subgraph ${s} tensor ${i} ${JSON.stringify(t.name)}`;
      if (t.buffer < 0 || t.buffer >= nBuffers) {
        throw invalid(`${place}: buffer ${t.buffer} is out of range (the model has ${nBuffers} buffers)`);
      }
      const bad = t.shape.find((d) => d < 0);
      if (bad !== undefined) throw invalid(`${place}: shape [${t.shape}] has a negative dimension`);
      const data = model.buffers[t.buffer]!.data;
      if (data && data.length > 0) {
        const need = tensorBytes(t.shape, t.type);
        if (need !== null && need !== data.length) {
          throw invalid(
            `${place}: buffer ${t.buffer} holds ${data.length} bytes, shape [${t.shape}] ${t.type} needs ${need}`,
          );
        }
      }
      const q = t.quantization;
      if (q && q.scale.length > 0 && q.zeroPoint.length > 0 && q.scale.length !== q.zeroPoint.length) {
        throw invalid(
          `${place}: ${q.scale.length} quantization scales but ${q.zeroPoint.length} zero points`,
        );
      }
    });
    const checkTensor = (idx: number, what: string, optional: boolean) => {
      if (optional && idx === -1) return;
      if (idx < 0 || idx >= nTensors) {
        throw invalid(
          `subgraph ${s} ${what}: tensor ${idx} is out of range (the subgraph has ${nTensors} tensors)`,
        );
      }
    };
    for (const [i, t] of g.inputs.entries()) checkTensor(t, `input ${i}`, false);
    for (const [i, t] of g.outputs.entries()) checkTensor(t, `output ${i}`, false);
    g.operators.forEach((op, o) => {
      if (op.opcodeIndex < 0 || op.opcodeIndex >= model.operatorCodes.length) {
        throw invalid(
          `subgraph ${s} operator ${o}: opcode index ${op.opcodeIndex} is out of range (the model has ${model.operatorCodes.length} operator codes)`,
        );
      }
      for (const [i, t] of op.inputs.entries()) checkTensor(t, `operator ${o} input ${i}`, true);
      for (const [i, t] of op.outputs.entries()) checkTensor(t, `operator ${o} output ${i}`, false);
      for (const [i, t] of op.intermediates.entries())
        checkTensor(t, `operator ${o} intermediate ${i}`, false);
    });
  });
  model.metadata.forEach((m, i) => {
    if (m.buffer < 0 || m.buffer >= nBuffers) {
      throw invalid(
        `metadata ${i} ${JSON.stringify(m.name)}: buffer ${m.buffer} is out of range (${nBuffers} buffers)`,
      );
    }
  });
  model.metadataBuffer.forEach((b, i) => {
    if (b < 0 || b >= nBuffers)
      throw invalid(`metadata_buffer ${i}: buffer ${b} is out of range (${nBuffers} buffers)`);
  });
  model.signatureDefs.forEach((d, i) => {
    const g = model.subgraphs[d.subgraphIndex];
    if (!g) throw invalid(`signature ${i}: subgraph ${d.subgraphIndex} is out of range`);
    for (const m of [...d.inputs, ...d.outputs]) {
      if (m.tensorIndex < 0 || m.tensorIndex >= g.tensors.length) {
        throw invalid(`signature ${i} ${JSON.stringify(m.name)}: tensor ${m.tensorIndex} is out of range`);
      }
    }
  });
}
