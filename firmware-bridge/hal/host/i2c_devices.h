/*
 * Emulated I2C parts of the host board, answering register reads like the real chips:
 * an MPU6050 (0x68) and a BME280 (0x76 and 0x77) whose values come from the scenario.
 */
#ifndef TG_I2C_DEVICES_H
#define TG_I2C_DEVICES_H

#include <stdint.h>

void i2c_devices_init(void);
/* 0 when a device answered at the address, -1 for a NACK. t is the scenario time in seconds. */
int i2c_device_write(uint8_t address, const uint8_t *data, uint8_t len, double t);
int i2c_device_read(uint8_t address, uint8_t *data, uint8_t len, double t);

#endif
