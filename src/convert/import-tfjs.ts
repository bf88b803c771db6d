import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TinygateError } from '../errors/index.js';
import type { Activation, Padding } from '../tflite/index.js';
import { FUSED, type Graph, GraphBuilder, numel, windowOut } from './graph.js';

/** One layer as tfjs writes it in model.json. */
interface LayerJson {
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown[];
}

interface ModelJson {
  modelTopology?: {
    class_name?: string;
    config?: unknown;
    model_config?: { class_name: string; config: unknown };
  };
  weightsManifest?: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
  }[];
}

function bad(file: string, message: string, hint: string): TinygateError {
  return new TinygateError('CONVERT_UNSUPPORTED', `${file}: ${message}`, { hint });
}

/** Read a tfjs Layers model (model.json and its weight files) into the converter's float graph. */
export function importTfjsLayers(modelJsonPath: string): Graph {
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new TinygateError('MODEL_UNREADABLE', `${modelJsonPath}: ${(err as Error).message}`, {
      hint: 'Give the model.json written by tfjs `model.save()` or `tinygate train`.',
    });
  }
  const topology = json.modelTopology?.model_config ?? json.modelTopology;
  if (!topology || !json.weightsManifest) {
    throw bad(
      modelJsonPath,
      'not a tfjs Layers model (no modelTopology or weightsManifest)',
      'Graph models (tfjs converter output) are not supported; save the Keras/tfjs Layers model instead.',
    );
  }
  const weights = readWeights(modelJsonPath, json.weightsManifest);
  const cls = (topology as { class_name?: string }).class_name;
  const config = (topology as { config?: unknown }).config;
  const layers: LayerJson[] = Array.isArray(config)
    ? (config as LayerJson[])
    : ((config as { layers?: LayerJson[] })?.layers ?? []);
  if (!layers.length) throw bad(modelJsonPath, 'the model has no layers', 'Check the file.');
  return new TfjsImporter(modelJsonPath, weights).build(
    layers,
    cls === 'Sequential' || cls === undefined ? 'sequential' : 'functional',
    config,
  );
}

function readWeights(
  path: string,
  manifest: NonNullable<ModelJson['weightsManifest']>,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of manifest) {
    const bytes = Buffer.concat(
      group.paths.map((p) => {
        try {
          return readFileSync(join(dirname(path), p));
        } catch (err) {
          throw new TinygateError(
            'MODEL_UNREADABLE',
            `${path}: weight file ${p}: ${(err as Error).message}`,
            {
              hint: 'Keep the weight files next to model.json, as tfjs saves them.',
            },
          );
        }
      }),
    );
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32' || w.quantization) {
        throw bad(
          path,
          `weight ${w.name} is ${w.quantization ? 'quantized' : w.dtype}`,
          'Save the model with float32 weights.',
        );
      }
      const n = numel(w.shape);
      if (offset + 4 * n > bytes.length) {
        throw new TinygateError(
          'MODEL_CORRUPT',
          `${path}: the weight files end before weight ${w.name} (${bytes.length} bytes)`,
          {
            hint: 'The weight file is truncated or belongs to another model.',
          },
        );
      }
      const data = new Float32Array(n);
      Buffer.from(bytes.buffer, bytes.byteOffset + offset, 4 * n).copy(Buffer.from(data.buffer));
      out.set(w.name, { shape: w.shape, data });
      offset += 4 * n;
    }
  }
  return out;
}

class TfjsImporter {
  private readonly b = new GraphBuilder();
  /** Layer name → its output tensor. */
  private readonly outputOf = new Map<string, number>();
  /** In a Sequential model nothing else reads a layer's output, so a following activation can fuse. */
  private sequential = true;

  constructor(
    private readonly file: string,
    private readonly weights: Map<string, { shape: number[]; data: Float32Array }>,
  ) {}

  build(layers: LayerJson[], kind: 'sequential' | 'functional', config: unknown): Graph {
    if (kind === 'sequential') {
      let current = -1;
      for (const layer of layers) {
        if (current < 0) current = this.input(layer);
        if (layer.class_name === 'InputLayer') continue;
        current = this.layer(layer, [current]);
        this.outputOf.set(layer.config.name, current);
      }
      this.b.graph.outputs = [current];
    } else {
      this.sequential = false;
      const c = config as {
        input_layers: [string, number, number][];
        output_layers: [string, number, number][];
      };
      for (const layer of layers) {
        if (layer.class_name === 'InputLayer') {
          this.outputOf.set(layer.config.name, this.input(layer));
          continue;
        }
        const inbound = ((layer.inbound_nodes?.[0] ?? []) as [string, number, number][]).map(([name]) => {
          const t = this.outputOf.get(name);
          if (t === undefined)
            throw bad(
              this.file,
              `layer ${layer.config.name} reads ${name}, which comes later or twice`,
              'Shared layers are not supported.',
            );
          return t;
        });
        this.outputOf.set(layer.config.name, this.layer(layer, inbound));
      }
      this.b.graph.outputs = c.output_layers.map(([name]) => this.outputOf.get(name)!);
      if (c.input_layers.length !== 1)
        throw bad(this.file, 'models with several inputs are not supported', 'Give a model with one input.');
    }
    return this.b.graph;
  }

  private input(layer: LayerJson): number {
    const shape = (layer.config.batch_input_shape ?? layer.config.batchInputShape) as
      | (number | null)[]
      | undefined;
    if (!shape)
      throw bad(
        this.file,
        `layer ${layer.config.name} has no input shape`,
        'Give the first layer an inputShape.',
      );
    if (shape.slice(1).some((d) => d === null))
      throw bad(
        this.file,
        `input shape [${shape}] has unknown dimensions`,
        'Give every dimension but the batch a size.',
      );
    const t = this.b.tensor(`${layer.config.name}_input`, [1, ...(shape.slice(1) as number[])]);
    this.b.graph.inputs = [t];
    return t;
  }

  private weight(layer: string, name: string): { shape: number[]; data: Float32Array } {
    const w =
      this.weights.get(`${layer}/${name}`) ??
      [...this.weights.entries()].find(([k]) => k.endsWith(`${layer}/${name}`))?.[1];
    if (!w)
      throw bad(
        this.file,
        `weight ${layer}/${name} is missing from the weights manifest`,
        'The model.json and weights do not match.',
      );
    return w;
  }

  private unsupported(layer: LayerJson, what: string): TinygateError {
    return bad(
      this.file,
      `layer ${layer.config.name} (${layer.class_name}): ${what}`,
      'Supported layers and options are listed in docs/convert.md.',
    );
  }

  private layer(layer: LayerJson, inputs: number[]): number {
    const c = layer.config;
    const x = inputs[0]!;
    const name = c.name;
    switch (layer.class_name) {
      case 'Dense':
        return this.activation(layer, this.dense(layer, x), c.activation as string);
      case 'Conv2D':
      case 'Conv1D':
        return this.conv(layer, x, layer.class_name === 'Conv1D');
      case 'DepthwiseConv2D':
        return this.activation(
          layer,
          this.depthwise(layer, x, this.weight(name, 'depthwise_kernel'), c.use_bias !== false),
          c.activation as string,
        );
      case 'SeparableConv2D': {
        const dw = this.depthwise(layer, x, this.weight(name, 'depthwise_kernel'), false);
        const pw = this.weight(name, 'pointwise_kernel'); // [1, 1, in·mult, out]
        return this.activation(layer, this.pointwise(layer, dw, pw), c.activation as string);
      }
      case 'BatchNormalization':
        return this.batchNorm(layer, x);
      case 'Activation':
        return this.activation(layer, x, c.activation as string, this.sequential);
      case 'ReLU':
        if (c.max_value === 6) return this.activation(layer, x, 'relu6', this.sequential);
        if (c.max_value == null) return this.activation(layer, x, 'relu', this.sequential);
        throw this.unsupported(layer, `max_value ${c.max_value} (only none or 6)`);
      case 'LeakyReLU':
        return this.b.op(
          'LEAKY_RELU',
          [x],
          { name, shape: this.b.shapeOf(x) },
          { type: 'LeakyReluOptions', alpha: (c.alpha as number) ?? 0.3 },
        );
      case 'Softmax':
        return this.b.op(
          'SOFTMAX',
          [x],
          { name, shape: this.b.shapeOf(x) },
          { type: 'SoftmaxOptions', beta: 1 },
        );
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'SpatialDropout2D':
        return x; // inference is the identity
      case 'Flatten':
        return this.reshape(name, x, [1, numel(this.b.shapeOf(x).slice(1))]);
      case 'Reshape': {
        const target = c.target_shape as number[];
        const known = numel(target.filter((d) => d !== -1));
        return this.reshape(name, x, [
          1,
          ...target.map((d) => (d === -1 ? numel(this.b.shapeOf(x).slice(1)) / known : d)),
        ]);
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
      case 'MaxPooling1D':
      case 'AveragePooling1D':
        return this.pool(layer, x);
      case 'GlobalAveragePooling2D':
      case 'GlobalAveragePooling1D': {
        const shape = this.b.shapeOf(x);
        const axes = layer.class_name.endsWith('2D') ? [1, 2] : [1];
        const axis = this.b.tensor(`${name}/axes`, [axes.length], Int32Array.from(axes));
        return this.b.op(
          'MEAN',
          [x, axis],
          { name, shape: [1, shape.at(-1)!] },
          { type: 'ReducerOptions', keepDims: false },
        );
      }
      case 'Add':
        return this.b.op(
          'ADD',
          inputs,
          { name, shape: this.b.shapeOf(x) },
          { type: 'AddOptions', fusedActivation: 'NONE', potScaleInt16: true },
        );
      case 'Concatenate': {
        const rank = this.b.shapeOf(x).length;
        const axis = (((c.axis as number) ?? -1) + rank) % rank;
        const shape = [...this.b.shapeOf(x)];
        shape[axis] = inputs.reduce((n, t) => n + this.b.shapeOf(t)[axis]!, 0);
        return this.b.op(
          'CONCATENATION',
          inputs,
          { name, shape },
          { type: 'ConcatenationOptions', axis, fusedActivation: 'NONE' },
        );
      }
      default:
        throw bad(
          this.file,
          `layer ${name}: ${layer.class_name} is not supported`,
          'Supported layers are listed in docs/convert.md.',
        );
    }
  }

  private checkChannelsLast(layer: LayerJson): void {
    const f = layer.config.data_format;
    if (f !== undefined && f !== 'channels_last')
      throw this.unsupported(layer, `data_format ${f} (only channels_last)`);
  }

  private dense(layer: LayerJson, x: number): number {
    const kernel = this.weight(layer.config.name, 'kernel'); // [in, units]
    const [inF, units] = kernel.shape as [number, number];
    const shape = this.b.shapeOf(x);
    if (shape.at(-1) !== inF) throw this.unsupported(layer, `expects ${inF} inputs, gets shape [${shape}]`);
    const w = new Float32Array(units * inF);
    for (let i = 0; i < inF; i++)
      for (let u = 0; u < units; u++) w[u * inF + i] = kernel.data[i * units + u]!;
    const bias =
      layer.config.use_bias === false ? new Float32Array(units) : this.weight(layer.config.name, 'bias').data;
    const name = layer.config.name;
    const wt = this.b.tensor(`${name}/kernel`, [units, inF], w);
    const bt = this.b.tensor(`${name}/bias`, [units], Float32Array.from(bias));
    return this.b.op(
      'FULLY_CONNECTED',
      [x, wt, bt],
      { name, shape: [...shape.slice(0, -1), units] },
      {
        type: 'FullyConnectedOptions',
        fusedActivation: 'NONE',
        weightsFormat: 0,
        keepNumDims: shape.length > 2,
        asymmetricQuantizeInputs: false,
        quantizedBiasType: 'float32',
      },
    );
  }

  private conv(layer: LayerJson, x: number, oneD: boolean): number {
    this.checkChannelsLast(layer);
    const c = layer.config;
    const name = c.name;
    const padding = this.padding(layer);
    const kernel = this.weight(name, 'kernel'); // 2D [kh, kw, in, out]; 1D [k, in, out]
    const [kh, kw, inC, outC] = (oneD ? [1, ...kernel.shape] : kernel.shape) as [
      number,
      number,
      number,
      number,
    ];
    const [sh, sw] = oneD ? [1, pair(c.strides)[0]] : pair(c.strides);
    const [dh, dw] = oneD ? [1, pair(c.dilation_rate)[0]] : pair(c.dilation_rate);
    let input = x;
    if (oneD) {
      const [, len, ch] = this.b.shapeOf(x) as [number, number, number];
      input = this.reshape(`${name}/as2d`, x, [1, 1, len, ch]);
    }
    const [, h, w, ch] = this.b.shapeOf(input) as [number, number, number, number];
    if (ch !== inC) throw this.unsupported(layer, `kernel takes ${inC} channels, input has ${ch}`);
    const ohwi = new Float32Array(outC * kh * kw * inC);
    for (let y = 0; y < kh; y++)
      for (let xx = 0; xx < kw; xx++)
        for (let i = 0; i < inC; i++)
          for (let o = 0; o < outC; o++)
            ohwi[((o * kh + y) * kw + xx) * inC + i] = kernel.data[((y * kw + xx) * inC + i) * outC + o]!;
    const bias =
      c.use_bias === false ? new Float32Array(outC) : Float32Array.from(this.weight(name, 'bias').data);
    const wt = this.b.tensor(`${name}/kernel`, [outC, kh, kw, inC], ohwi);
    const bt = this.b.tensor(`${name}/bias`, [outC], bias);
    const oh = windowOut(h, kh, sh, dh, padding);
    const ow = windowOut(w, kw, sw, dw, padding);
    const out = this.b.op(
      'CONV_2D',
      [input, wt, bt],
      { name: oneD ? `${name}/2d` : name, shape: [1, oh, ow, outC] },
      {
        type: 'Conv2DOptions',
        padding,
        strideW: sw,
        strideH: sh,
        fusedActivation: 'NONE',
        dilationW: dw,
        dilationH: dh,
        quantizedBiasType: 'float32',
      },
    );
    // The activation fuses into CONV_2D before a Conv1D's reshape back (after it, it would be a RELU op).
    const activated = this.activation(layer, out, c.activation as string);
    return oneD ? this.reshape(name, activated, [1, ow, outC]) : activated;
  }

  private depthwise(
    layer: LayerJson,
    x: number,
    kernel: { shape: number[]; data: Float32Array },
    useBias: boolean,
  ): number {
    this.checkChannelsLast(layer);
    const c = layer.config;
    const name = c.name;
    const padding = this.padding(layer);
    const [kh, kw, inC, mult] = kernel.shape as [number, number, number, number];
    const [, h, w] = this.b.shapeOf(x) as [number, number, number, number];
    const [sh, sw] = pair(c.strides);
    const [dh, dw] = pair(c.dilation_rate);
    // tfjs [kh, kw, in, mult] flattens to TFLite's [1, kh, kw, in·mult] (channel c·mult + m) as it is.
    const wt = this.b.tensor(
      `${name}/depthwise_kernel`,
      [1, kh, kw, inC * mult],
      Float32Array.from(kernel.data),
    );
    const bias = useBias ? Float32Array.from(this.weight(name, 'bias').data) : new Float32Array(inC * mult);
    const bt = this.b.tensor(`${name}/depthwise_bias`, [inC * mult], bias);
    return this.b.op(
      'DEPTHWISE_CONV_2D',
      [x, wt, bt],
      {
        name: `${name}/depthwise`,
        shape: [1, windowOut(h, kh, sh, dh, padding), windowOut(w, kw, sw, dw, padding), inC * mult],
      },
      {
        type: 'DepthwiseConv2DOptions',
        padding,
        strideW: sw,
        strideH: sh,
        depthMultiplier: mult,
        fusedActivation: 'NONE',
        dilationW: dw,
        dilationH: dh,
      },
    );
  }

  private pointwise(layer: LayerJson, x: number, pw: { shape: number[]; data: Float32Array }): number {
    const name = layer.config.name;
    const [, , inC, outC] = pw.shape as [number, number, number, number];
    const ohwi = new Float32Array(outC * inC);
    for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) ohwi[o * inC + i] = pw.data[i * outC + o]!;
    const bias =
      layer.config.use_bias === false
        ? new Float32Array(outC)
        : Float32Array.from(this.weight(name, 'bias').data);
    const [, h, w] = this.b.shapeOf(x) as [number, number, number];
    return this.b.op(
      'CONV_2D',
      [
        x,
        this.b.tensor(`${name}/pointwise_kernel`, [outC, 1, 1, inC], ohwi),
        this.b.tensor(`${name}/bias`, [outC], bias),
      ],
      { name, shape: [1, h, w, outC] },
      {
        type: 'Conv2DOptions',
        padding: 'VALID',
        strideW: 1,
        strideH: 1,
        fusedActivation: 'NONE',
        dilationW: 1,
        dilationH: 1,
        quantizedBiasType: 'float32',
      },
    );
  }

  /** Fold inference-time batch norm into the Dense/Conv that feeds it: w·k, (b − mean)·k + beta. */
  private batchNorm(layer: LayerJson, x: number): number {
    const c = layer.config;
    const rank = this.b.shapeOf(x).length;
    if (c.axis !== undefined && c.axis !== -1 && c.axis !== rank - 1)
      throw this.unsupported(layer, `axis ${c.axis} (only the channel axis)`);
    const producer = [...this.b.graph.ops].reverse().find((o) => o.outputs.includes(x));
    const foldable = producer && ['FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D'].includes(producer.op);
    const activation =
      producer?.options && 'fusedActivation' in producer.options ? producer.options.fusedActivation : 'NONE';
    if (!producer || !foldable || activation !== 'NONE' || this.consumers(x) > 0) {
      throw this.unsupported(
        layer,
        'it must follow a Dense or convolution layer with no activation in between (it is folded into it)',
      );
    }
    const name = c.name;
    const eps = (c.epsilon as number) ?? 1e-3;
    const channels = this.b.shapeOf(x).at(-1)!;
    const get = (w: string, fallback: number) =>
      c[w === 'gamma' ? 'scale' : 'center'] === false && (w === 'gamma' || w === 'beta')
        ? new Float32Array(channels).fill(fallback)
        : this.weight(name, w).data;
    const gamma = get('gamma', 1);
    const beta = get('beta', 0);
    const mean = this.weight(name, 'moving_mean').data;
    const variance = this.weight(name, 'moving_variance').data;
    const weights = this.b.graph.tensors[producer.inputs[1]!]!;
    const bias = this.b.graph.tensors[producer.inputs[2]!]!;
    const w = weights.data as Float32Array;
    const perChannel = w.length / channels;
    for (let ch = 0; ch < channels; ch++) {
      const k = gamma[ch]! / Math.sqrt(variance[ch]! + eps);
      // FC and conv weights are [out, …]: a contiguous block per channel; depthwise is [1, h, w, ch].
      if (producer.op === 'DEPTHWISE_CONV_2D') for (let i = ch; i < w.length; i += channels) w[i]! *= k;
      else for (let i = 0; i < perChannel; i++) w[ch * perChannel + i]! *= k;
      (bias.data as Float32Array)[ch] = ((bias.data as Float32Array)[ch]! - mean[ch]!) * k + beta[ch]!;
    }
    this.b.graph.tensors[x]!.name = name;
    return x;
  }

  private consumers(t: number): number {
    return this.b.graph.ops.filter((o) => o.inputs.includes(t)).length;
  }

  /** Fuse relu/relu6 into the op that produced `x` when TFLite can; otherwise add the activation op. */
  private activation(layer: LayerJson, x: number, activation: string | undefined, mayFuse = true): number {
    const name = layer.config.name;
    const shape = this.b.shapeOf(x);
    if (!activation || activation === 'linear') return x;
    const fused: Activation | undefined = FUSED[activation];
    const producer = this.b.graph.ops.find((o) => o.outputs.includes(x));
    if (
      mayFuse &&
      fused &&
      producer?.options &&
      'fusedActivation' in producer.options &&
      producer.options.fusedActivation === 'NONE' &&
      this.consumers(x) === 0 &&
      producer.op !== 'CONCATENATION'
    ) {
      producer.options.fusedActivation = fused;
      return x;
    }
    switch (activation) {
      case 'relu':
        return this.b.op('RELU', [x], { name: `${name}/relu`, shape }, null);
      case 'relu6':
        return this.b.op('RELU6', [x], { name: `${name}/relu6`, shape }, null);
      case 'sigmoid':
        return this.b.op('LOGISTIC', [x], { name: `${name}/sigmoid`, shape }, null);
      case 'tanh':
        return this.b.op('TANH', [x], { name: `${name}/tanh`, shape }, null);
      case 'softmax':
        return this.b.op(
          'SOFTMAX',
          [x],
          { name: `${name}/softmax`, shape },
          { type: 'SoftmaxOptions', beta: 1 },
        );
      default:
        throw this.unsupported(
          layer,
          `activation ${activation} (supported: linear, relu, relu6, sigmoid, tanh, softmax)`,
        );
    }
  }

  private padding(layer: LayerJson): Padding {
    const p = layer.config.padding ?? 'valid';
    if (p === 'same') return 'SAME';
    if (p === 'valid') return 'VALID';
    throw this.unsupported(layer, `padding ${String(p)} (only same or valid)`);
  }

  private reshape(name: string, x: number, shape: number[]): number {
    if (!shape.every((d) => Number.isInteger(d) && d > 0))
      throw bad(
        this.file,
        `${name}: cannot reshape [${this.b.shapeOf(x)}] to [${shape}]`,
        'Check the target shape.',
      );
    // A reshape of a reshape nothing else reads is one reshape (Conv1D layers in a row reshape to 2-D and
    // back between each other): every RESHAPE costs the board an op, two tensors and their tables.
    const producer = this.b.graph.ops.find((o) => o.outputs.includes(x));
    if (producer?.op === 'RESHAPE' && this.consumers(x) === 0 && !this.b.graph.outputs.includes(x)) {
      this.b.graph.tensors[x]!.shape = shape;
      const target = this.b.graph.tensors[producer.inputs[1]!]!;
      target.data = Int32Array.from(shape);
      target.shape = [shape.length];
      producer.options = { type: 'ReshapeOptions', newShape: shape };
      return x;
    }
    const target = this.b.tensor(`${name}/shape`, [shape.length], Int32Array.from(shape));
    return this.b.op('RESHAPE', [x, target], { name, shape }, { type: 'ReshapeOptions', newShape: shape });
  }

  private pool(layer: LayerJson, x: number): number {
    this.checkChannelsLast(layer);
    const c = layer.config;
    const name = c.name;
    const oneD = layer.class_name.endsWith('1D');
    const padding = this.padding(layer);
    const size = pair(c.pool_size ?? 2);
    const strides = c.strides == null ? size : pair(c.strides);
    const [kh, kw] = oneD ? [1, size[0]] : size;
    const [sh, sw] = oneD ? [1, strides[0]] : strides;
    let input = x;
    if (oneD) {
      const [, len, ch] = this.b.shapeOf(x) as [number, number, number];
      input = this.reshape(`${name}/as2d`, x, [1, 1, len, ch]);
    }
    const [, h, w, ch] = this.b.shapeOf(input) as [number, number, number, number];
    const oh = windowOut(h, kh, sh, 1, padding);
    const ow = windowOut(w, kw, sw, 1, padding);
    const op = layer.class_name.startsWith('Max') ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D';
    const out = this.b.op(
      op,
      [input],
      { name: oneD ? `${name}/2d` : name, shape: [1, oh, ow, ch] },
      {
        type: 'Pool2DOptions',
        padding,
        strideW: sw,
        strideH: sh,
        filterWidth: kw,
        filterHeight: kh,
        fusedActivation: 'NONE',
      },
    );
    return oneD ? this.reshape(name, out, [1, ow, ch]) : out;
  }
}

/** tfjs writes sizes and strides as a number or an array of one or two. */
function pair(v: unknown): [number, number] {
  if (v == null) return [1, 1];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0]!, a[1] ?? a[0]!];
}
