/* hal_irq_save/restore for Cortex-M HALs (mps2, stm32f4): PRIMASK masks every configurable interrupt,
   SysTick's sampling included. */
#include "hal.h"

uint32_t hal_irq_save(void) {
  uint32_t s;
  __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(s)::"memory");
  return s;
}

void hal_irq_restore(uint32_t state) { __asm__ volatile("msr primask, %0" ::"r"(state) : "memory"); }
