import type * as flatbuffers from 'flatbuffers';
import { TinygateError } from '../errors/index.js';
import { AddOptions } from './generated/tflite/add-options.js';
import { BuiltinOptions as OptionsType } from './generated/tflite/builtin-options.js';
import { ConcatenationOptions } from './generated/tflite/concatenation-options.js';
import { Conv2DOptions } from './generated/tflite/conv2doptions.js';
import { DepthwiseConv2DOptions } from './generated/tflite/depthwise-conv2doptions.js';
import { DequantizeOptions } from './generated/tflite/dequantize-options.js';
import { FullyConnectedOptions } from './generated/tflite/fully-connected-options.js';
import { HardSwishOptions } from './generated/tflite/hard-swish-options.js';
import { LeakyReluOptions } from './generated/tflite/leaky-relu-options.js';
import { MulOptions } from './generated/tflite/mul-options.js';
import type { Operator } from './generated/tflite/operator.js';
import { PadOptions } from './generated/tflite/pad-options.js';
import { Pool2DOptions } from './generated/tflite/pool2doptions.js';
import { QuantizeOptions } from './generated/tflite/quantize-options.js';
import { ReducerOptions } from './generated/tflite/reducer-options.js';
import { ReshapeOptions } from './generated/tflite/reshape-options.js';
import { SoftmaxOptions } from './generated/tflite/softmax-options.js';
import { SqueezeOptions } from './generated/tflite/squeeze-options.js';
import { SubOptions } from './generated/tflite/sub-options.js';
import { tensorTypeName, tensorTypeValue } from './tensor-type.js';
import type { Activation, BuiltinOptions, Padding } from './types.js';

const ACTIVATIONS: readonly Activation[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];
const PADDINGS: readonly Padding[] = ['SAME', 'VALID'];

function activation(value: number, where: string): Activation {
  const name = ACTIVATIONS[value];
  if (!name) throw new TinygateError('TFLITE_INVALID', `${where}: unknown fused activation ${value}`);
  return name;
}

function padding(value: number, where: string): Padding {
  const name = PADDINGS[value];
  if (!name) throw new TinygateError('TFLITE_INVALID', `${where}: unknown padding ${value}`);
  return name;
}

const activationValue = (a: Activation): number => ACTIVATIONS.indexOf(a);
const paddingValue = (p: Padding): number => PADDINGS.indexOf(p);
const ints = (a: Int32Array | null): number[] | null => (a ? Array.from(a) : null);

/** Decode an operator's builtin_options (already verified in bounds) into a plain object. */
export function decodeOptions(op: Operator, where: string): BuiltinOptions | null {
  const typeId = op.builtinOptionsType() as number;
  if (typeId === OptionsType.NONE) return null;
  switch (typeId) {
    case OptionsType.Conv2DOptions: {
      const o = op.builtinOptions(new Conv2DOptions()) as Conv2DOptions;
      return {
        type: 'Conv2DOptions',
        padding: padding(o.padding(), where),
        strideW: o.strideW(),
        strideH: o.strideH(),
        fusedActivation: activation(o.fusedActivationFunction(), where),
        dilationW: o.dilationWFactor(),
        dilationH: o.dilationHFactor(),
        quantizedBiasType: tensorTypeName(o.quantizedBiasType(), `${where} quantized_bias_type`),
      };
    }
    case OptionsType.DepthwiseConv2DOptions: {
      const o = op.builtinOptions(new DepthwiseConv2DOptions()) as DepthwiseConv2DOptions;
      return {
        type: 'DepthwiseConv2DOptions',
        padding: padding(o.padding(), where),
        strideW: o.strideW(),
        strideH: o.strideH(),
        depthMultiplier: o.depthMultiplier(),
        fusedActivation: activation(o.fusedActivationFunction(), where),
        dilationW: o.dilationWFactor(),
        dilationH: o.dilationHFactor(),
      };
    }
    case OptionsType.Pool2DOptions: {
      const o = op.builtinOptions(new Pool2DOptions()) as Pool2DOptions;
      return {
        type: 'Pool2DOptions',
        padding: padding(o.padding(), where),
        strideW: o.strideW(),
        strideH: o.strideH(),
        filterWidth: o.filterWidth(),
        filterHeight: o.filterHeight(),
        fusedActivation: activation(o.fusedActivationFunction(), where),
      };
    }
    case OptionsType.FullyConnectedOptions: {
      const o = op.builtinOptions(new FullyConnectedOptions()) as FullyConnectedOptions;
      return {
        type: 'FullyConnectedOptions',
        fusedActivation: activation(o.fusedActivationFunction(), where),
        weightsFormat: o.weightsFormat(),
        keepNumDims: o.keepNumDims(),
        asymmetricQuantizeInputs: o.asymmetricQuantizeInputs(),
        quantizedBiasType: tensorTypeName(o.quantizedBiasType(), `${where} quantized_bias_type`),
      };
    }
    case OptionsType.SoftmaxOptions:
      return {
        type: 'SoftmaxOptions',
        beta: (op.builtinOptions(new SoftmaxOptions()) as SoftmaxOptions).beta(),
      };
    case OptionsType.ConcatenationOptions: {
      const o = op.builtinOptions(new ConcatenationOptions()) as ConcatenationOptions;
      return {
        type: 'ConcatenationOptions',
        axis: o.axis(),
        fusedActivation: activation(o.fusedActivationFunction(), where),
      };
    }
    case OptionsType.AddOptions: {
      const o = op.builtinOptions(new AddOptions()) as AddOptions;
      return {
        type: 'AddOptions',
        fusedActivation: activation(o.fusedActivationFunction(), where),
        potScaleInt16: o.potScaleInt16(),
      };
    }
    case OptionsType.SubOptions: {
      const o = op.builtinOptions(new SubOptions()) as SubOptions;
      return {
        type: 'SubOptions',
        fusedActivation: activation(o.fusedActivationFunction(), where),
        potScaleInt16: o.potScaleInt16(),
      };
    }
    case OptionsType.MulOptions: {
      const o = op.builtinOptions(new MulOptions()) as MulOptions;
      return { type: 'MulOptions', fusedActivation: activation(o.fusedActivationFunction(), where) };
    }
    case OptionsType.ReshapeOptions: {
      const o = op.builtinOptions(new ReshapeOptions()) as ReshapeOptions;
      return { type: 'ReshapeOptions', newShape: ints(o.newShapeArray()) };
    }
    case OptionsType.PadOptions:
      return { type: 'PadOptions' };
    case OptionsType.ReducerOptions: {
      const o = op.builtinOptions(new ReducerOptions()) as ReducerOptions;
      return { type: 'ReducerOptions', keepDims: o.keepDims() };
    }
    case OptionsType.SqueezeOptions: {
      const o = op.builtinOptions(new SqueezeOptions()) as SqueezeOptions;
      return { type: 'SqueezeOptions', squeezeDims: ints(o.squeezeDimsArray()) };
    }
    case OptionsType.DequantizeOptions:
      return { type: 'DequantizeOptions' };
    case OptionsType.QuantizeOptions:
      return { type: 'QuantizeOptions' };
    case OptionsType.LeakyReluOptions:
      return {
        type: 'LeakyReluOptions',
        alpha: (op.builtinOptions(new LeakyReluOptions()) as LeakyReluOptions).alpha(),
      };
    case OptionsType.HardSwishOptions:
      return { type: 'HardSwishOptions' };
    default:
      return { type: 'unknown', typeId };
  }
}

/** Write an options table; returns [union type id, offset]. Refuses option tables tinygate does not model. */
export function encodeOptions(
  b: flatbuffers.Builder,
  options: BuiltinOptions,
  where: string,
): [OptionsType, flatbuffers.Offset] {
  switch (options.type) {
    case 'Conv2DOptions':
      return [
        OptionsType.Conv2DOptions,
        Conv2DOptions.createConv2DOptions(
          b,
          paddingValue(options.padding),
          options.strideW,
          options.strideH,
          activationValue(options.fusedActivation),
          options.dilationW,
          options.dilationH,
          tensorTypeValue(options.quantizedBiasType),
        ),
      ];
    case 'DepthwiseConv2DOptions':
      return [
        OptionsType.DepthwiseConv2DOptions,
        DepthwiseConv2DOptions.createDepthwiseConv2DOptions(
          b,
          paddingValue(options.padding),
          options.strideW,
          options.strideH,
          options.depthMultiplier,
          activationValue(options.fusedActivation),
          options.dilationW,
          options.dilationH,
        ),
      ];
    case 'Pool2DOptions':
      return [
        OptionsType.Pool2DOptions,
        Pool2DOptions.createPool2DOptions(
          b,
          paddingValue(options.padding),
          options.strideW,
          options.strideH,
          options.filterWidth,
          options.filterHeight,
          activationValue(options.fusedActivation),
        ),
      ];
    case 'FullyConnectedOptions':
      return [
        OptionsType.FullyConnectedOptions,
        FullyConnectedOptions.createFullyConnectedOptions(
          b,
          activationValue(options.fusedActivation),
          options.weightsFormat,
          options.keepNumDims,
          options.asymmetricQuantizeInputs,
          tensorTypeValue(options.quantizedBiasType),
        ),
      ];
    case 'SoftmaxOptions':
      return [OptionsType.SoftmaxOptions, SoftmaxOptions.createSoftmaxOptions(b, options.beta)];
    case 'ConcatenationOptions':
      return [
        OptionsType.ConcatenationOptions,
        ConcatenationOptions.createConcatenationOptions(
          b,
          options.axis,
          activationValue(options.fusedActivation),
        ),
      ];
    case 'AddOptions':
      return [
        OptionsType.AddOptions,
        AddOptions.createAddOptions(b, activationValue(options.fusedActivation), options.potScaleInt16),
      ];
    case 'SubOptions':
      return [
        OptionsType.SubOptions,
        SubOptions.createSubOptions(b, activationValue(options.fusedActivation), options.potScaleInt16),
      ];
    case 'MulOptions':
      return [
        OptionsType.MulOptions,
        MulOptions.createMulOptions(b, activationValue(options.fusedActivation)),
      ];
    case 'ReshapeOptions': {
      const shape = options.newShape ? ReshapeOptions.createNewShapeVector(b, options.newShape) : 0;
      return [OptionsType.ReshapeOptions, ReshapeOptions.createReshapeOptions(b, shape)];
    }
    case 'PadOptions':
      PadOptions.startPadOptions(b);
      return [OptionsType.PadOptions, PadOptions.endPadOptions(b)];
    case 'ReducerOptions':
      return [OptionsType.ReducerOptions, ReducerOptions.createReducerOptions(b, options.keepDims)];
    case 'SqueezeOptions': {
      const dims = options.squeezeDims ? SqueezeOptions.createSqueezeDimsVector(b, options.squeezeDims) : 0;
      return [OptionsType.SqueezeOptions, SqueezeOptions.createSqueezeOptions(b, dims)];
    }
    case 'DequantizeOptions':
      DequantizeOptions.startDequantizeOptions(b);
      return [OptionsType.DequantizeOptions, DequantizeOptions.endDequantizeOptions(b)];
    case 'QuantizeOptions':
      QuantizeOptions.startQuantizeOptions(b);
      return [OptionsType.QuantizeOptions, QuantizeOptions.endQuantizeOptions(b)];
    case 'LeakyReluOptions':
      return [OptionsType.LeakyReluOptions, LeakyReluOptions.createLeakyReluOptions(b, options.alpha)];
    case 'HardSwishOptions':
      HardSwishOptions.startHardSwishOptions(b);
      return [OptionsType.HardSwishOptions, HardSwishOptions.endHardSwishOptions(b)];
    case 'unknown':
      throw new TinygateError(
        'TFLITE_UNSUPPORTED',
        `${where}: builtin options table #${options.typeId} is not modelled by tinygate, so it cannot be written back faithfully`,
        {
          hint: 'Only models whose ops use the option tables listed in docs/tflite.md can be rewritten; the file itself is readable and runnable.',
        },
      );
  }
}
