import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmLike } from './wasm-backend.js';

// tfjs's WebAssembly backend has the forward convolution and the input gradient but no filter gradient
// (Conv2DBackpropFilter), so Conv1D/Conv2D models could not train on it. This is that gradient in plain
// JavaScript (channels-last, no dilation): dW[r][c][i][o] = Σ over batch and output positions of
// x[input position under tap (r, c)][i] · dy[output position][o]. The small models trained here make it cheap.

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter (wasm): channels-last only');
  const be = backend as unknown as WasmLike;
  const xs = be.readSync(x.dataId);
  const dys = be.readSync(dy.dataId);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dw = new Float32Array(kh * kw * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let r = 0; r < kh; r++) {
          const iy = oy * sh + r - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let c = 0; c < kw; c++) {
            const ix = ox * sw + c - left;
            if (ix < 0 || ix >= inWidth) continue;
            const xBase = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const wBase = (r * kw + c) * inChannels;
            for (let i = 0; i < inChannels; i++) {
              const v = xs[xBase + i]!;
              if (v === 0) continue;
              const row = (wBase + i) * outChannels;
              for (let o = 0; o < outChannels; o++) dw[row + o]! += v * dys[dyBase + o]!;
            }
          }
        }
      }
    }
  }
  return be.makeOutput(info.filterShape, 'float32', undefined, dw);
};

registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter });
