import {
  backend_util,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmLike } from './wasm-backend.js';

// tfjs's WebAssembly backend has the depthwise convolution but neither of its gradients, so models with
// DepthwiseConv2D or SeparableConv2D layers could not train (or be distilled) on it. These are both in plain
// JavaScript (channels-last, no dilation), for the small models trained here. With M channels per input
// channel: y[b, oy, ox, c·M + m] = Σ over taps (r, s) of x[b, iy, ix, c] · w[r, s, c, m].

type Info = ReturnType<typeof backend_util.computeConv2DInfo>;

/** Calls `f(xIndex, wIndex, dyIndex)` for every input element under every tap of every output element. */
function eachTap(info: Info, f: (xi: number, wi: number, dyi: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const mult = outChannels / inChannels;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let r = 0; r < kh; r++) {
          const iy = oy * sh + r - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let s = 0; s < kw; s++) {
            const ix = ox * sw + s - left;
            if (ix < 0 || ix >= inWidth) continue;
            const xBase = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const wBase = (r * kw + s) * outChannels;
            for (let c = 0; c < inChannels; c++)
              for (let m = 0; m < mult; m++) f(xBase + c, wBase + c * mult + m, dyBase + c * mult + m);
          }
        }
      }
    }
  }
}

function channelsLast(info: Info): Info {
  if (info.dataFormat !== 'channelsLast') throw new Error('depthwise gradient (wasm): channels-last only');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1)
    throw new Error('depthwise gradient (wasm): no dilation');
  return info;
}

const backpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = channelsLast(
    backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    ),
  );
  const be = backend as unknown as WasmLike;
  const xs = be.readSync(x.dataId);
  const dys = be.readSync(dy.dataId);
  const dw = new Float32Array(filterShape.reduce((a, b) => a * b, 1));
  eachTap(info, (xi, wi, dyi) => {
    dw[wi]! += xs[xi]! * dys[dyi]!;
  });
  return be.makeOutput(filterShape, 'float32', undefined, dw);
};

const backpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = channelsLast(
    backend_util.computeConv2DInfo(
      inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    ),
  );
  const be = backend as unknown as WasmLike;
  const ws = be.readSync(filter.dataId);
  const dys = be.readSync(dy.dataId);
  const dx = new Float32Array(inputShape.reduce((a, b) => a * b, 1));
  eachTap(info, (xi, wi, dyi) => {
    dx[xi]! += ws[wi]! * dys[dyi]!;
  });
  return be.makeOutput(inputShape, 'float32', undefined, dx);
};

registerKernel({
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: backpropFilter,
});
registerKernel({
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: backpropInput,
});
