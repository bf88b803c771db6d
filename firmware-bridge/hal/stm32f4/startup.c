/* Cortex-M4 start-up for the STM32F4 builds: vector table and reset handler (C99, no CMSIS). */
#include <stdint.h>
#include <string.h>

#include "stm32f4_regs.h"

typedef void (*vector_t)(void);

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
extern int main(void);
void reset_handler(void);
void systick_handler(void);
void usart2_handler(void);

static void fault_handler(void) {
  for (;;) {
  }
}

#define F fault_handler
#define F8 F, F, F, F, F, F, F, F

/* 0 is the initial stack pointer, 1-15 the core's exceptions (SysTick at 15), then IRQ 0-38: USART2 is
   IRQ 38; every other IRQ parks in fault_handler (none is enabled). */
__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + USART2_IRQ + 1] = {
    (vector_t)(uintptr_t)&__stack_top, reset_handler, F, F, F, F, F, 0, 0, 0, 0, F, F, 0, F, systick_handler,
    F8, F8, F8, F8,                   /* IRQ 0-31 */
    F,  F,  F,  F, F, F, usart2_handler, /* IRQ 32-38 */
};

void reset_handler(void) {
  /* The FPU first: the runtime's float code (hard-float ABI) must not fault. */
  SCB_CPACR |= 0xFu << 20;
  __asm__ volatile("dsb\n isb" ::: "memory");
  memcpy(&__data_start, &__data_load, (size_t)((uint8_t *)&__data_end - (uint8_t *)&__data_start));
  memset(&__bss_start, 0, (size_t)((uint8_t *)&__bss_end - (uint8_t *)&__bss_start));
  main();
  for (;;) {
  }
}
