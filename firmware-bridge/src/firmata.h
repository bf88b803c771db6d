/*
 * Firmata 2.5 device side: enough of StandardFirmata that johnny-five (firmata-io) works
 * unchanged. SysEx commands are dispatched through one table (firmata.c); the tinygate
 * extension is one entry in it.
 */
#ifndef TG_FIRMATA_H
#define TG_FIRMATA_H

#include <stdint.h>

#define FIRMATA_PROTOCOL_MAJOR 2
#define FIRMATA_PROTOCOL_MINOR 5

#define START_SYSEX 0xF0
#define END_SYSEX 0xF7

/* Reset pin state and announce ourselves (version and firmware report), as at power-up. */
void firmata_init(void);
/* Feed one received byte. */
void firmata_receive(uint8_t byte);
/* Periodic work: analog sampling, digital change reports, continuous I2C reads. */
void firmata_poll(void);

/* Output: whole messages only. */
void firmata_send_sysex(uint8_t command, const uint8_t *data7, uint16_t len);
void firmata_send_string(const char *text);
/* Stream a SysEx message piecewise: begin, bytes (7-bit), end. */
void firmata_sysex_begin(uint8_t command);
void firmata_sysex_byte(uint8_t byte7);
void firmata_sysex_end(void);

#endif
