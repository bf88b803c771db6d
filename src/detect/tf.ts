import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import './wasm-conv-grad.js';
import './wasm-depthwise-grad.js';
import { TinygateError } from '../errors/index.js';

let ready: Promise<string> | null = null;

/**
 * tfjs on its WebAssembly backend (tfjs-node's native binary cannot install here). The wasm build ships
 * inside the npm package, so this needs no download. Resolves to the backend name.
 */
export function tfReady(): Promise<string> {
  ready ??= (async () => {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'wasm') {
      throw new TinygateError('TF_BACKEND', 'the tfjs WebAssembly backend did not start', {
        kind: 'internal',
        hint: 'Reinstall with `npm ci`; @tensorflow/tfjs-backend-wasm must be present.',
      });
    }
    return tf.getBackend();
  })();
  return ready;
}

export { tf, tfl };
