/*
 * STM32F4 builds. One HAL, two boards:
 *   TG_BOARD_NUCLEO_F446RE       the Nucleo-F446RE: 168 MHz from the HSI through the PLL, model store in flash
 *                                sectors 6-7 (2 x 128 KiB), programmed through the FLASH registers.
 *   TG_BOARD_QEMU_NETDUINOPLUS2  QEMU 7.2's netduinoplus2 (an STM32F405): QEMU models no RCC, GPIO or FLASH
 *                                interface and its flash is read-only to the guest, so the clock set-up is
 *                                skipped (QEMU clocks the core at 168 MHz), the model store is 128 KiB of SRAM,
 *                                saved through QEMU's monitor like the mps2 build's, and the analog inputs read a
 *                                test sine (QEMU's ADC model ignores the pin).
 */
#ifndef TG_HAL_CONFIG_H
#define TG_HAL_CONFIG_H

#define TG_SYSEX_BUFFER_BYTES 512
#define TG_MAX_PINS 20
#define TG_RX_BUFFER_BYTES 1024
#define TG_CPU_HZ 168000000u
/* Flash is programmed in bytes or words (no ECC): four-byte progress cells are one word each. */
#define TG_PROGRESS_CELL_BYTES 4

#if defined(TG_BOARD_NUCLEO_F446RE)
#define TG_BOARD_ID "nucleo-f446re"
#define TG_FLASH_BYTES (512u * 1024u)
#define TG_RAM_BYTES (128u * 1024u)
#define TG_STORE_FLASH 1
#define TG_STORE_ADDRESS 0x08040000u /* sectors 6 and 7 */
#define TG_STORE_FIRST_SECTOR 6u
#define TG_STORE_PAGE_BYTES (128u * 1024u)
#define TG_STORE_BYTES (256u * 1024u)
#define TG_UART_CLOCK_HZ 42000000u
#define TG_PLL_HSI 1 /* HSI 16 MHz / M 8 x N 168 / P 2 = 168 MHz; Q 7 = 48 MHz */
#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES (88u * 1024u) /* what 128 KiB leaves beside ~23 KB of statics and the stack */
#endif

#elif defined(TG_BOARD_QEMU_NETDUINOPLUS2)
#define TG_BOARD_ID "qemu-netduinoplus2"
#define TG_FLASH_BYTES (1024u * 1024u)
#define TG_RAM_BYTES (192u * 1024u) /* as QEMU maps it: 192 KiB at 0x20000000 (the chip: 128 KiB + 64 KiB CCM) */
#define TG_STORE_RAM 1
#define TG_STORE_PAGE_BYTES (16u * 1024u) /* the F4's smallest flash sector */
#define TG_STORE_BYTES (128u * 1024u)
#define TG_ADC_TEST_SIGNAL 1 /* QEMU's ADC model ignores the pin: read a test sine (hal/common/test_signal.c) */
#define TG_UART_CLOCK_HZ 42000000u
#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES (32u * 1024u)
#endif

#else
#error "define TG_BOARD_NUCLEO_F446RE or TG_BOARD_QEMU_NETDUINOPLUS2"
#endif

#endif
