import { TinygateError } from '../errors/index.js';

/**
 * A flatbuffer verifier for the TFLite schema subset: checks every offset, vtable, vector and string
 * lies inside the file before the generated accessors (which do no bounds checks) are trusted.
 * Same rules as flatbuffers' own C++ verifier: in-bounds, aligned, NUL-terminated strings, bounded depth.
 */

type Field =
  | { kind: 'scalar'; size: 1 | 2 | 4 | 8 }
  | { kind: 'string' }
  | { kind: 'vector'; elementSize: 1 | 2 | 4 | 8 }
  | { kind: 'tables'; table: () => TableSpec }
  | { kind: 'table'; table: () => TableSpec }
  /** A union's value field; its type byte is the field just before it. */
  | { kind: 'union'; members: () => Record<number, TableSpec> };

/** A table's fields by field id, each with the schema's field name (for error messages). */
interface TableSpec {
  name: string;
  fields: [string, Field][];
}

const u8: Field = { kind: 'scalar', size: 1 };
const i32: Field = { kind: 'scalar', size: 4 };
const i64: Field = { kind: 'scalar', size: 8 };
const str: Field = { kind: 'string' };
const bytesVec: Field = { kind: 'vector', elementSize: 1 };
const i32Vec: Field = { kind: 'vector', elementSize: 4 };
const table = (t: () => TableSpec): Field => ({ kind: 'table', table: t });
const tables = (t: () => TableSpec): Field => ({ kind: 'tables', table: t });
const union = (m: () => Record<number, TableSpec>): Field => ({ kind: 'union', members: m });
const spec = (name: string, fields: [string, Field][]): TableSpec => ({ name, fields });

// BuiltinOptions members tinygate models, by union discriminant (field lists as in the .fbs).
const OPTION_TABLES: Record<number, TableSpec> = {
  1: spec('Conv2DOptions', [
    ['padding', u8],
    ['stride_w', i32],
    ['stride_h', i32],
    ['fused_activation_function', u8],
    ['dilation_w_factor', i32],
    ['dilation_h_factor', i32],
    ['quantized_bias_type', u8],
  ]),
  2: spec('DepthwiseConv2DOptions', [
    ['padding', u8],
    ['stride_w', i32],
    ['stride_h', i32],
    ['depth_multiplier', i32],
    ['fused_activation_function', u8],
    ['dilation_w_factor', i32],
    ['dilation_h_factor', i32],
  ]),
  5: spec('Pool2DOptions', [
    ['padding', u8],
    ['stride_w', i32],
    ['stride_h', i32],
    ['filter_width', i32],
    ['filter_height', i32],
    ['fused_activation_function', u8],
  ]),
  8: spec('FullyConnectedOptions', [
    ['fused_activation_function', u8],
    ['weights_format', u8],
    ['keep_num_dims', u8],
    ['asymmetric_quantize_inputs', u8],
    ['quantized_bias_type', u8],
  ]),
  9: spec('SoftmaxOptions', [['beta', i32]]),
  10: spec('ConcatenationOptions', [
    ['axis', i32],
    ['fused_activation_function', u8],
  ]),
  11: spec('AddOptions', [
    ['fused_activation_function', u8],
    ['pot_scale_int16', u8],
  ]),
  17: spec('ReshapeOptions', [['new_shape', i32Vec]]),
  21: spec('MulOptions', [['fused_activation_function', u8]]),
  22: spec('PadOptions', []),
  27: spec('ReducerOptions', [['keep_dims', u8]]),
  28: spec('SubOptions', [
    ['fused_activation_function', u8],
    ['pot_scale_int16', u8],
  ]),
  30: spec('SqueezeOptions', [['squeeze_dims', i32Vec]]),
  38: spec('DequantizeOptions', []),
  75: spec('LeakyReluOptions', [['alpha', i32]]),
  89: spec('QuantizeOptions', []),
  91: spec('HardSwishOptions', []),
};

const CUSTOM_QUANTIZATION = spec('CustomQuantization', [['custom', bytesVec]]);
const QUANTIZATION = spec('QuantizationParameters', [
  ['min', i32Vec],
  ['max', i32Vec],
  ['scale', i32Vec],
  ['zero_point', { kind: 'vector', elementSize: 8 }],
  ['details_type', u8],
  ['details', union(() => ({ 1: CUSTOM_QUANTIZATION }))],
  ['quantized_dimension', i32],
]);
const INDEX_VECTORS: Record<number, TableSpec> = {
  1: spec('Int32Vector', [['values', i32Vec]]),
  2: spec('Uint16Vector', [['values', { kind: 'vector', elementSize: 2 }]]),
  3: spec('Uint8Vector', [['values', bytesVec]]),
};
const DIMENSION_METADATA = spec('DimensionMetadata', [
  ['format', u8],
  ['dense_size', i32],
  ['array_segments_type', u8],
  ['array_segments', union(() => INDEX_VECTORS)],
  ['array_indices_type', u8],
  ['array_indices', union(() => INDEX_VECTORS)],
]);
const SPARSITY = spec('SparsityParameters', [
  ['traversal_order', i32Vec],
  ['block_map', i32Vec],
  ['dim_metadata', tables(() => DIMENSION_METADATA)],
]);
const VARIANT_SUB_TYPE = spec('VariantSubType', [
  ['shape', i32Vec],
  ['type', u8],
  ['has_rank', u8],
]);
const TENSOR = spec('Tensor', [
  ['shape', i32Vec],
  ['type', u8],
  ['buffer', i32],
  ['name', str],
  ['quantization', table(() => QUANTIZATION)],
  ['is_variable', u8],
  ['sparsity', table(() => SPARSITY)],
  ['shape_signature', i32Vec],
  ['has_rank', u8],
  ['variant_tensors', tables(() => VARIANT_SUB_TYPE)],
]);
const OPERATOR = spec('Operator', [
  ['opcode_index', i32],
  ['inputs', i32Vec],
  ['outputs', i32Vec],
  ['builtin_options_type', u8],
  ['builtin_options', union(() => OPTION_TABLES)],
  ['custom_options', bytesVec],
  ['custom_options_format', u8],
  ['mutating_variable_inputs', bytesVec],
  ['intermediates', i32Vec],
  ['large_custom_options_offset', i64],
  ['large_custom_options_size', i64],
  ['builtin_options_2_type', u8],
  ['builtin_options_2', union(() => ({}))],
]);
const SUBGRAPH = spec('SubGraph', [
  ['tensors', tables(() => TENSOR)],
  ['inputs', i32Vec],
  ['outputs', i32Vec],
  ['operators', tables(() => OPERATOR)],
  ['name', str],
]);
const OPERATOR_CODE = spec('OperatorCode', [
  ['deprecated_builtin_code', u8],
  ['custom_code', str],
  ['version', i32],
  ['builtin_code', i32],
]);
const BUFFER = spec('Buffer', [
  ['data', bytesVec],
  ['offset', i64],
  ['size', i64],
]);
const METADATA = spec('Metadata', [
  ['name', str],
  ['buffer', i32],
]);
const TENSOR_MAP = spec('TensorMap', [
  ['name', str],
  ['tensor_index', i32],
]);
const SIGNATURE_DEF = spec('SignatureDef', [
  ['inputs', tables(() => TENSOR_MAP)],
  ['outputs', tables(() => TENSOR_MAP)],
  ['signature_key', str],
  ['deprecated_tag', str],
  ['subgraph_index', i32],
]);
const MODEL = spec('Model', [
  ['version', i32],
  ['operator_codes', tables(() => OPERATOR_CODE)],
  ['subgraphs', tables(() => SUBGRAPH)],
  ['description', str],
  ['buffers', tables(() => BUFFER)],
  ['metadata_buffer', i32Vec],
  ['metadata', tables(() => METADATA)],
  ['signature_defs', tables(() => SIGNATURE_DEF)],
]);

export const TFLITE_IDENTIFIER = 'TFL3';
const MAX_DEPTH = 64;
const MAX_TABLES = 10_000_000;

function corrupt(where: string, offset: number, what: string): TinygateError {
  return new TinygateError('TFLITE_CORRUPT', `corrupt TFLite file: ${where} at byte ${offset}: ${what}`, {
    hint: 'The file is damaged or truncated; copy or export it again.',
    details: { offset, where },
  });
}

/**
 * Throws a clear TinygateError unless `bytes` is a structurally sound TFLite flatbuffer. Returns where the
 * file sets fields this schema subset does not know (written with a newer schema), so that writing can
 * refuse them rather than drop them.
 */
export function verifyTfliteBuffer(bytes: Uint8Array): string[] {
  if (bytes.length < 8) {
    throw new TinygateError('TFLITE_CORRUPT', `not a TFLite model: only ${bytes.length} bytes`, {
      hint: 'A .tflite file starts with a root offset and the identifier "TFL3"; this one is empty or truncated.',
    });
  }
  const id = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (id !== TFLITE_IDENTIFIER) {
    throw new TinygateError(
      'TFLITE_NOT_TFLITE',
      `not a TFLite model: file identifier is ${JSON.stringify(id)} (bytes 4–7), expected "${TFLITE_IDENTIFIER}"`,
      { hint: 'Pass a .tflite flatbuffer written by the TFLite converter or tinygate.' },
    );
  }
  const verifier = new Verifier(bytes);
  verifier.root(MODEL);
  return verifier.unknownFields;
}

class Verifier {
  private readonly view: DataView;
  private readonly seen = new Set<string>();
  private tableCount = 0;
  readonly unknownFields: string[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Name the file size too: a target past the end usually means the file was cut short. */
  private corrupt(where: string, offset: number, what: string): TinygateError {
    return corrupt(where, offset, `${what} (the file has ${this.bytes.length} bytes; truncated or damaged?)`);
  }

  root(spec: TableSpec): void {
    const rootPos = this.view.getUint32(0, true);
    this.table(rootPos, spec, 'model', 0);
  }

  private inBounds(pos: number, size: number): boolean {
    return pos >= 0 && size >= 0 && pos + size <= this.bytes.length;
  }

  private aligned(pos: number, align: number, where: string): void {
    // Alignment is relative to the buffer start, as flatbuffers writes it.
    if (pos % align !== 0) throw this.corrupt(where, pos, `misaligned (needs ${align}-byte alignment)`);
  }

  /** Follow a uoffset stored at `pos` and return its target. */
  private follow(pos: number, where: string): number {
    this.aligned(pos, 4, where);
    if (!this.inBounds(pos, 4)) throw this.corrupt(where, pos, 'offset lies outside the file');
    const target = pos + this.view.getUint32(pos, true);
    if (!this.inBounds(target, 4))
      throw this.corrupt(where, pos, `points to byte ${target}, outside the file`);
    return target;
  }

  private table(pos: number, spec: TableSpec, where: string, depth: number): void {
    if (depth > MAX_DEPTH) throw this.corrupt(where, pos, 'tables nested too deeply');
    const key = `${spec.name}@${pos}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (++this.tableCount > MAX_TABLES) throw this.corrupt(where, pos, 'too many tables');

    this.aligned(pos, 4, where);
    if (!this.inBounds(pos, 4)) throw this.corrupt(where, pos, `${spec.name} table lies outside the file`);
    const vtable = pos - this.view.getInt32(pos, true);
    if (vtable % 2 !== 0 || !this.inBounds(vtable, 4)) {
      throw this.corrupt(where, pos, `${spec.name} vtable at byte ${vtable} lies outside the file`);
    }
    const vtableSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || !this.inBounds(vtable, vtableSize)) {
      throw this.corrupt(where, vtable, `${spec.name} vtable size ${vtableSize} is invalid`);
    }
    if (tableSize < 4 || !this.inBounds(pos, tableSize)) {
      throw this.corrupt(where, pos, `${spec.name} table size ${tableSize} runs past the end of the file`);
    }
    const fieldCount = (vtableSize - 4) / 2;
    // Unmodelled options tables are refused as a whole on write; in every other table, note the extra fields.
    const modelled = !spec.name.includes(' union member ');
    for (let id = spec.fields.length; modelled && id < fieldCount; id++) {
      if (this.view.getUint16(vtable + 4 + 2 * id, true) !== 0)
        this.unknownFields.push(`${where} (${spec.name} field ${id})`);
    }
    for (let id = 0; id < fieldCount && id < spec.fields.length; id++) {
      const [fieldName, field] = spec.fields[id]!;
      const fieldOffset = this.view.getUint16(vtable + 4 + 2 * id, true);
      if (fieldOffset === 0) continue;
      const fieldWhere = `${where}.${fieldName}`;
      const size = field.kind === 'scalar' ? field.size : 4;
      if (fieldOffset < 4 || fieldOffset + size > tableSize) {
        throw this.corrupt(fieldWhere, pos, `field ${id} lies outside its table`);
      }
      const fieldPos = pos + fieldOffset;
      this.field(fieldPos, field, spec, id, pos, vtable, vtableSize, fieldWhere, depth);
    }
  }

  private field(
    fieldPos: number,
    field: Field,
    tableSpec: TableSpec,
    id: number,
    tablePos: number,
    vtable: number,
    vtableSize: number,
    where: string,
    depth: number,
  ): void {
    switch (field.kind) {
      case 'scalar':
        this.aligned(fieldPos, field.size, where);
        return;
      case 'string':
        this.string(this.follow(fieldPos, where), where);
        return;
      case 'vector':
        this.vector(this.follow(fieldPos, where), field.elementSize, where);
        return;
      case 'table':
        this.table(this.follow(fieldPos, where), field.table(), where, depth + 1);
        return;
      case 'tables': {
        const start = this.follow(fieldPos, where);
        const count = this.vector(start, 4, where);
        const elementSpec = field.table();
        for (let i = 0; i < count; i++) {
          this.table(
            this.follow(start + 4 + 4 * i, `${where}[${i}]`),
            elementSpec,
            `${where}[${i}]`,
            depth + 1,
          );
        }
        return;
      }
      case 'union': {
        // The type byte is the previous field id; no type (0) means the value is ignored, as TFLite does.
        const typeId = id - 1;
        const typeOffset =
          4 + 2 * typeId < vtableSize ? this.view.getUint16(vtable + 4 + 2 * typeId, true) : 0;
        const type = typeOffset === 0 ? 0 : this.bytes[tablePos + typeOffset]!;
        if (type === 0) return;
        const target = this.follow(fieldPos, where);
        const member = field.members()[type];
        // An unmodelled member is still checked as a table (vtable and size), just not field by field.
        this.table(target, member ?? spec(`${tableSpec.name} union member ${type}`, []), where, depth + 1);
        return;
      }
    }
  }

  /** Checks a vector's length prefix and extent; returns its element count. */
  private vector(pos: number, elementSize: number, where: string): number {
    this.aligned(pos, 4, where);
    const count = this.view.getUint32(pos, true);
    if (elementSize > 4) this.aligned(pos + 4, elementSize, where);
    if (!this.inBounds(pos + 4, count * elementSize)) {
      throw this.corrupt(
        where,
        pos,
        `vector of ${count} × ${elementSize} bytes runs past the end of the file`,
      );
    }
    return count;
  }

  private string(pos: number, where: string): void {
    this.aligned(pos, 4, where);
    const length = this.view.getUint32(pos, true);
    if (!this.inBounds(pos + 4, length + 1))
      throw this.corrupt(where, pos, `string of ${length} bytes runs past the end of the file`);
    if (this.bytes[pos + 4 + length] !== 0) throw this.corrupt(where, pos, 'string is not NUL-terminated');
  }
}
