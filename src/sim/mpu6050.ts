import { MPU6050 } from '../sensing/channels.js';
import { clamp16 } from './signals.js';

const PWR_MGMT_1 = 0x6b;
const WHO_AM_I = 0x75;
const ACCEL_CONFIG = 0x1c;
const GYRO_CONFIG = 0x1b;
const ACCEL_XOUT_H = 0x3b;

/** Physical values the emulated MPU6050 converts on each read. */
export interface MpuValues {
  ax: number;
  ay: number;
  az: number;
  gx: number;
  gy: number;
  gz: number;
  tempC: number;
}

/**
 * The MPU6050's register file as a host sees it over I2C (register map rev 4.2): it powers up asleep
 * (PWR_MGMT_1 = 0x40, data registers read 0) until the host clears SLEEP; the register pointer
 * auto-increments; ACCEL_XOUT_H…GYRO_ZOUT_L are 14 big-endian bytes.
 */
export class Mpu6050Registers {
  private readonly regs = new Uint8Array(128);
  private pointer = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.regs.fill(0);
    this.regs[PWR_MGMT_1] = 0x40;
    this.regs[WHO_AM_I] = 0x68;
  }

  get asleep(): boolean {
    return (this.regs[PWR_MGMT_1]! & 0x40) !== 0;
  }

  /** A write transaction: first byte sets the pointer, the rest are written from there. */
  write(bytes: ArrayLike<number>): void {
    if (bytes.length === 0) return;
    this.pointer = bytes[0]! & 0x7f;
    for (let i = 1; i < bytes.length; i++) {
      const v = bytes[i]! & 0xff;
      if (this.pointer === PWR_MGMT_1 && v & 0x80) this.reset();
      else if (this.pointer !== WHO_AM_I) this.regs[this.pointer] = v;
      this.pointer = (this.pointer + 1) & 0x7f;
    }
  }

  /** A read transaction of n bytes from the pointer, converting the data registers from `values` first. */
  read(n: number, values: MpuValues): number[] {
    this.sample(values);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(this.regs[this.pointer]!);
      this.pointer = (this.pointer + 1) & 0x7f;
    }
    return out;
  }

  private sample(v: MpuValues): void {
    const d = ACCEL_XOUT_H;
    if (this.asleep) {
      this.regs.fill(0, d, d + 14);
      return;
    }
    const accelLsb = MPU6050.accelLsbPerG / (1 << ((this.regs[ACCEL_CONFIG]! >> 3) & 3));
    const gyroLsb = MPU6050.gyroLsbPerDps / (1 << ((this.regs[GYRO_CONFIG]! >> 3) & 3));
    const words = [
      v.ax * accelLsb,
      v.ay * accelLsb,
      v.az * accelLsb,
      (v.tempC - MPU6050.tempOffsetC) * MPU6050.tempLsbPerC,
      v.gx * gyroLsb,
      v.gy * gyroLsb,
      v.gz * gyroLsb,
    ];
    words.forEach((w, i) => {
      const r = clamp16(Math.round(w)) & 0xffff;
      this.regs[d + 2 * i] = r >> 8;
      this.regs[d + 2 * i + 1] = r & 0xff;
    });
  }
}
