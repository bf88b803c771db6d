export { BoardRunner, type BoardStatus, type TracePoint } from './board-runner.js';
export {
  BoardConfig,
  GatewayConfig,
  type GatewayConfigInput,
  loadGatewayConfig,
  parseGatewayConfig,
  resolveFrom,
} from './config.js';
export { Gateway, type GatewayEvents, type GatewayOptions, type GatewayStatus } from './gateway.js';
export { type BoardTransport, jsVirtualTransport, scenarioPath } from './transports.js';
