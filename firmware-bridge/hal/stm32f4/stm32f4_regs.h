/*
 * The STM32F4 registers this HAL touches (RM0090 / RM0390), by address: no CMSIS, no vendor headers.
 * The F401/F405/F411/F446 share these addresses and bits.
 */
#ifndef TG_STM32F4_REGS_H
#define TG_STM32F4_REGS_H

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* RCC */
#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04)
#define RCC_CFGR REG(RCC_BASE + 0x08)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30)
#define RCC_APB1ENR REG(RCC_BASE + 0x40)
#define RCC_APB2ENR REG(RCC_BASE + 0x44)
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PPRE1_DIV4 (5u << 10)
#define RCC_CFGR_PPRE2_DIV2 (4u << 13)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_AHB1ENR_GPIOBEN (1u << 1)
#define RCC_AHB1ENR_GPIOCEN (1u << 2)
#define RCC_APB1ENR_USART2EN (1u << 17)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_APB2ENR_ADC1EN (1u << 8)

/* PWR: regulator voltage scale 1 (needed above 144 MHz) */
#define PWR_CR REG(0x40007000u)
#define PWR_CR_VOS_SCALE1 (3u << 14)

/* FLASH interface */
#define FLASH_BASE_REG 0x40023C00u
#define FLASH_ACR REG(FLASH_BASE_REG + 0x00)
#define FLASH_KEYR REG(FLASH_BASE_REG + 0x04)
#define FLASH_SR REG(FLASH_BASE_REG + 0x0C)
#define FLASH_CR REG(FLASH_BASE_REG + 0x10)
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)
#define FLASH_ACR_ICRST (1u << 11)
#define FLASH_ACR_DCRST (1u << 12)
#define FLASH_SR_EOP (1u << 0)
#define FLASH_SR_OPERR (1u << 1)
#define FLASH_SR_WRPERR (1u << 4)
#define FLASH_SR_PGAERR (1u << 5)
#define FLASH_SR_PGPERR (1u << 6)
#define FLASH_SR_PGSERR (1u << 7)
#define FLASH_SR_BSY (1u << 16)
#define FLASH_SR_ERRORS (FLASH_SR_OPERR | FLASH_SR_WRPERR | FLASH_SR_PGAERR | FLASH_SR_PGPERR | FLASH_SR_PGSERR)
#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_SER (1u << 1)
#define FLASH_CR_SNB(n) ((uint32_t)(n) << 3)
#define FLASH_CR_PSIZE_X8 (0u << 8)
#define FLASH_CR_PSIZE_X32 (2u << 8)
#define FLASH_CR_STRT (1u << 16)
#define FLASH_CR_LOCK (1u << 31)

/* GPIO ports A-C */
#define GPIO_BASE(port) (0x40020000u + 0x400u * (uint32_t)(port))
#define GPIO_MODER(port) REG(GPIO_BASE(port) + 0x00)
#define GPIO_PUPDR(port) REG(GPIO_BASE(port) + 0x0C)
#define GPIO_IDR(port) REG(GPIO_BASE(port) + 0x10)
#define GPIO_BSRR(port) REG(GPIO_BASE(port) + 0x18)
#define GPIO_AFRL(port) REG(GPIO_BASE(port) + 0x20)
#define GPIO_MODE_INPUT 0u
#define GPIO_MODE_OUTPUT 1u
#define GPIO_MODE_AF 2u
#define GPIO_MODE_ANALOG 3u
#define GPIO_PULL_UP 1u

/* USART2: the ST-LINK virtual COM port of the Nucleo-64 boards (PA2 TX, PA3 RX, AF7) */
#define USART2_BASE 0x40004400u
#define USART2_SR REG(USART2_BASE + 0x00)
#define USART2_DR REG(USART2_BASE + 0x04)
#define USART2_BRR REG(USART2_BASE + 0x08)
#define USART2_CR1 REG(USART2_BASE + 0x0C)
#define USART_SR_ORE (1u << 3)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_UE (1u << 13)
#define USART2_IRQ 38u

/* ADC1 and the ADC common block */
#define ADC1_BASE 0x40012000u
#define ADC1_SR REG(ADC1_BASE + 0x00)
#define ADC1_CR1 REG(ADC1_BASE + 0x04)
#define ADC1_CR2 REG(ADC1_BASE + 0x08)
#define ADC1_SMPR1 REG(ADC1_BASE + 0x0C)
#define ADC1_SMPR2 REG(ADC1_BASE + 0x10)
#define ADC1_SQR1 REG(ADC1_BASE + 0x2C)
#define ADC1_SQR3 REG(ADC1_BASE + 0x34)
#define ADC1_DR REG(ADC1_BASE + 0x4C)
#define ADC_CCR REG(0x40012304u)
#define ADC_SR_EOC (1u << 1)
#define ADC_CR2_ADON (1u << 0)
#define ADC_CR2_SWSTART (1u << 30)
#define ADC_CCR_ADCPRE_DIV4 (1u << 16)

/* Cortex-M4 core: SysTick, NVIC, the FPU's coprocessor access */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define SCB_CPACR REG(0xE000ED88u)

#endif
