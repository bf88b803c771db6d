// Building the firmware-bridge for a board profile and putting it on the board (`tinygate firmware`).
export { type AvrdudeResult, runAvrdude } from './avrdude.js';
export {
  buildFirmware,
  type FirmwareBuild,
  type FirmwareFile,
  firmwareTarget,
  makeBuildFor,
} from './build.js';
export { type InstallResult, installFirmware } from './install.js';
export { type InstallPlan, type InstallStep, installPlan, type PlanOptions, shellLine } from './plan.js';
export {
  FIRMWARE_BUILDS,
  FIRMWARE_TARGETS,
  type FirmwareBuildKind,
  type FirmwareTarget,
  type Installer,
  type MakeBuild,
} from './targets.js';
