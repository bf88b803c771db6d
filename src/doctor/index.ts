// Checks that a machine can run a gateway, each with what to fix.
export {
  type CheckResult,
  type CheckStatus,
  checkBroker,
  checkDataDir,
  checkNode,
  checkSerialPort,
  checkSerialPorts,
  checkTools,
  MIN_NODE,
  serialPorts,
  TOOLS,
} from './checks.js';
