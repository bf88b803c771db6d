/** The serial link to boards: transports, board/model info, model transfer, johnny-five over the same port. */
export { activeSlot, boardInfo, modelInfo, type ProbeOptions } from './board-info.js';
export { crc32 } from './crc32.js';
export {
  buildHostFirmware,
  FIRMWARE_DIR,
  type HostBoard,
  type HostBoardOptions,
  startHostBoard,
} from './host-board.js';
export { createBoard, createIo, type FirmataIo, type IoOptions } from './johnny-five.js';
export {
  DEFAULT_BAUD,
  type FirmwareReport,
  Link,
  type OpenLinkOptions,
  openLink,
  type TinygateMessage,
} from './link.js';
export {
  type BoardInfo,
  Command,
  type CommitResult,
  type ModelInfo,
  PROTOCOL_VERSION,
  Reply,
  type SlotInfo,
  type SlotState,
  Status,
  TG_SYSEX_ID,
  type TransferState,
} from './protocol.js';
export {
  buildQemuFirmware,
  MPS2_AN386_NO_DSP_ELF,
  QEMU_BOARD_ELF,
  QEMU_MACHINES,
  type QemuBoard,
  type QemuBoardOptions,
  type QemuMachineName,
  startQemuBoard,
} from './qemu-board.js';
export { type RuntimeStatus, runOnBoard, runtimeStatus } from './runtime.js';
export { hostScenarioFile } from './scenario-file.js';
export { BoardStream, type StreamOptions, type StreamScore, startStream } from './stream.js';
export {
  chunkLimit,
  type FlashOptions,
  type FlashProgress,
  type FlashResult,
  flashModel,
  type TransferMode,
} from './transfer.js';
