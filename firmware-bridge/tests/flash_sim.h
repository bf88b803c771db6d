/* A RAM model store with NOR semantics that can lose power after a given number of operations. */
#ifndef TG_FLASH_SIM_H
#define TG_FLASH_SIM_H

#include <stdint.h>

void flash_sim_reset(uint32_t bytes, uint32_t page);
/* Allow this many byte-programs/page-erases, then die mid-operation (tearing it); -1: never. */
void flash_sim_cut_after(long ops);
int flash_sim_dead(void);
long flash_sim_ops(void);
uint8_t *flash_sim_image(void);
uint32_t flash_sim_bytes(void);

#endif
