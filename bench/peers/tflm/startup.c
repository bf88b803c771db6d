/* Start-up for the TFLite Micro peer on QEMU's mps2-an385/an386: the vector table, data and bss set-up,
   semihosting stdio (rdimon), C++ constructors, then main; its return ends QEMU through semihosting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern uint32_t __data_start, __data_end, __data_load, __bss_start__, __bss_end__, __stack_top;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
void SysTick_Handler(void);
void reset_handler(void);

static void fault_handler(void) {
  exit(3); /* a fault ends the run with a status the bench reports, instead of hanging QEMU */
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    reset_handler,
    fault_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    0, 0, 0, 0,
    fault_handler, fault_handler, 0, fault_handler,
    SysTick_Handler,
};

/* -nostartfiles leaves out crti/crtn: __libc_init_array still calls these. */
void _init(void) {}
void _fini(void) {}

void reset_handler(void) {
#if defined(__ARM_FP)
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: the FPU, for hard-float builds */
#endif
  memcpy(&__data_start, &__data_load, (size_t)((uint8_t *)&__data_end - (uint8_t *)&__data_start));
  memset(&__bss_start__, 0, (size_t)((uint8_t *)&__bss_end__ - (uint8_t *)&__bss_start__));
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}
