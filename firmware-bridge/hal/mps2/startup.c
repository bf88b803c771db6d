/* Cortex-M3/M4 start-up for the mps2-an385 and mps2-an386 builds: the vector table and the reset handler
   (C99, no CMSIS). */
#include <stdint.h>
#include <string.h>

typedef void (*vector_t)(void);

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
extern int main(void);
void reset_handler(void);
void systick_handler(void);
void uart0_rx_handler(void);

static void fault_handler(void) {
  for (;;) {
  }
}

/* Index 0 is the initial stack pointer; 15 is SysTick; 16 is external IRQ 0, UART0 RX on AN385.
   Faults park in fault_handler. */
__attribute__((section(".vectors"), used)) static const vector_t vectors[17] = {
    (vector_t)(uintptr_t)&__stack_top,
    reset_handler,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler, /* MemManage */
    fault_handler, /* BusFault */
    fault_handler, /* UsageFault */
    0, 0, 0, 0,
    fault_handler, /* SVCall */
    fault_handler, /* DebugMonitor */
    0,
    fault_handler, /* PendSV */
    systick_handler,
    uart0_rx_handler,
};

void reset_handler(void) {
#ifdef __ARM_FP
  /* The M4F's FPU first (CPACR: full access to CP10 and CP11): hard-float code must not fault. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n isb" ::: "memory");
#endif
  /* Copy initialised data from its load image and zero .bss, as on a flash part. */
  memcpy(&__data_start, &__data_load, (size_t)((uint8_t *)&__data_end - (uint8_t *)&__data_start));
  memset(&__bss_start, 0, (size_t)((uint8_t *)&__bss_end - (uint8_t *)&__bss_start));
  main();
  for (;;) {
  }
}
