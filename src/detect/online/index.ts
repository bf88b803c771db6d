export * from './alarm.js';
export * from './autoencoder-residuals.js';
export * from './context.js';
export * from './detector.js';
export * from './residual.js';
export * from './slow-signals.js';
export * from './tail.js';
