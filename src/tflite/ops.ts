import { TinygateError } from '../errors/index.js';
import { BuiltinOperator } from './generated/tflite/builtin-operator.js';
import type { OperatorCode, TfliteModel, TfliteOperator } from './types.js';

export { BuiltinOperator };

/** The CUSTOM builtin code: the op is named by its OperatorCode's custom_code. */
export const CUSTOM_OP = BuiltinOperator.CUSTOM;

/** TFLite's name for a builtin code ("FULLY_CONNECTED"); codes from a newer schema read "BUILTIN_<n>". */
export function builtinOpName(code: number): string {
  const name = (BuiltinOperator as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : `BUILTIN_${code}`;
}

/** The builtin code for a TFLite op name ("CONV_2D" → 3). */
export function builtinOpCode(name: string): number {
  const code = (BuiltinOperator as unknown as Record<string, number | undefined>)[name];
  if (typeof code !== 'number') {
    throw new TinygateError('TFLITE_UNKNOWN_OP', `unknown TFLite builtin operator "${name}"`, {
      hint: 'Use TFLite schema names such as FULLY_CONNECTED, CONV_2D or SOFTMAX.',
    });
  }
  return code;
}

/** An operator code's display name: the builtin name, or the custom op's own name. */
export function opCodeName(opcode: OperatorCode): string {
  if (opcode.builtinCode === CUSTOM_OP) return opcode.customCode ?? 'CUSTOM';
  return builtinOpName(opcode.builtinCode);
}

/** The name of the op an operator runs ("FULLY_CONNECTED", or a custom op's name). */
export function operatorName(model: TfliteModel, op: TfliteOperator): string {
  const opcode = model.operatorCodes[op.opcodeIndex];
  return opcode ? opCodeName(opcode) : `opcode#${op.opcodeIndex}`;
}
