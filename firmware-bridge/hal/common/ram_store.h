/* The RAM model store of the emulated builds (ram_store.c); the hal_store_* functions come with it. */
#ifndef TG_RAM_STORE_H
#define TG_RAM_STORE_H

/* Call once at start-up, before bridge_init: a zeroed (fresh) store becomes erased. */
void ram_store_init(void);

#endif
