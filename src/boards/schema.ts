import { z } from 'zod';

/** CPU cores we know how to build for or size against; the converter keys kernel choices off this. */
export const CORES = [
  'avr8',
  'cortex-m0plus',
  'cortex-m3',
  'cortex-m4',
  'cortex-m4f',
  'cortex-m7f',
  'cortex-m33f',
  'xtensa-lx6',
  'xtensa-lx7',
  'riscv32',
  'host',
] as const;

const bytes = z.number().int().nonnegative();
const positiveBytes = z.number().int().positive();

const source = z.object({
  what: z.string().min(1).describe('which figures this source backs, e.g. "flash, RAM, clock"'),
  url: z.url(),
});

export const boardProfileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes'),
    name: z.string().min(1),
    kind: z.enum(['physical', 'emulated']),
    mcu: z.string().min(1),
    core: z.enum(CORES),
    clockMHz: z.number().positive(),
    flashBytes: positiveBytes.describe('on-chip (or board) program flash'),
    ramBytes: positiveBytes.describe('on-chip SRAM usable by the application'),
    fpu: z.enum(['none', 'single', 'double']),
    dsp: z
      .boolean()
      .describe('SIMD/DSP instructions usable by int8 kernels (Arm DSP extension, Xtensa PIE, ...)'),
    reserved: z.object({
      bootloaderFlashBytes: bytes,
      firmwareFlashBytes: bytes.describe('bridge firmware: Firmata + model link + int8 runtime + board core'),
      firmwareRamBytes: bytes.describe(
        'static RAM of the bridge firmware, its board core/RTOS, and the stack',
      ),
      figures: z.enum(['measured', 'estimate']),
    }),
    modelStore: z.object({
      medium: z.enum(['internal-flash', 'eeprom', 'external-flash', 'file', 'ram']),
      bytes: positiveBytes.describe('bytes of the medium given to the A/B model store'),
      slots: z.literal(2),
    }),
    modelBudget: z.object({
      flashBytes: positiveBytes.describe('largest model (.tflite bytes) one slot holds'),
      arenaBytes: positiveBytes.describe('tensor arena left for the int8 runtime'),
      derivation: z.string().min(20),
    }),
    bridgeRuntime: z
      .object({
        maxTensors: positiveBytes.describe(
          'most tensors a model may have (TG_MAX_TENSORS: the width of tensor indices; below it the arena decides, as the model tables live there)',
        ),
        maxOps: positiveBytes.describe('most operators (TG_MAX_OPS, a count width)'),
        maxChannelParams: positiveBytes.describe(
          'most requantization parameters: one per output channel of a per-channel weighted op, 3 per ADD/SUB/MUL, 1 per MEAN/SOFTMAX/per-tensor weighted op (TG_MAX_CHANNEL_PARAMS, a count width)',
        ),
      })
      .strict()
      .optional()
      .describe(
        'the firmware-bridge int8 runtime as built for this board (what its board info reports); absent where it is not built',
      ),
    uart: z.object({
      defaultBaud: z.number().int().positive(),
      maxReliableBaud: z.number().int().positive(),
      nativeUsbCdc: z.boolean(),
      rxBufferBytes: positiveBytes,
    }),
    analog: z.object({ pins: z.number().int().nonnegative(), adcBits: z.number().int().min(8).max(24) }),
    i2c: z.object({ buses: z.number().int().nonnegative() }),
    notes: z.string().optional(),
    sources: z.array(source).min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    // A budget larger than what the hardware has left is a typo that would let a model brick a board.
    const slotMax = Math.floor(p.modelStore.bytes / p.modelStore.slots);
    if (p.modelBudget.flashBytes > slotMax) {
      ctx.addIssue({
        code: 'custom',
        path: ['modelBudget', 'flashBytes'],
        message: `${p.modelBudget.flashBytes} exceeds one of ${p.modelStore.slots} slots of a ${p.modelStore.bytes}-byte model store (${slotMax})`,
      });
    }
    if (p.modelStore.medium === 'internal-flash') {
      const free = p.flashBytes - p.reserved.bootloaderFlashBytes - p.reserved.firmwareFlashBytes;
      if (p.modelStore.bytes > free) {
        ctx.addIssue({
          code: 'custom',
          path: ['modelStore', 'bytes'],
          message: `${p.modelStore.bytes} exceeds the ${free} bytes of flash left after bootloader and firmware`,
        });
      }
    }
    const ramLeft = p.ramBytes - p.reserved.firmwareRamBytes;
    if (p.modelBudget.arenaBytes > ramLeft) {
      ctx.addIssue({
        code: 'custom',
        path: ['modelBudget', 'arenaBytes'],
        message: `${p.modelBudget.arenaBytes} exceeds the ${ramLeft} bytes of RAM left after the firmware`,
      });
    }
    if (p.uart.maxReliableBaud < p.uart.defaultBaud) {
      ctx.addIssue({ code: 'custom', path: ['uart', 'maxReliableBaud'], message: 'is below defaultBaud' });
    }
  });

export type BoardProfile = z.infer<typeof boardProfileSchema>;
