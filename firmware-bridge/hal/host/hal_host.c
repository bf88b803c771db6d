/*
 * Host (POSIX) board: the firmware runs as a process and talks over a pty it opens itself.
 * Its UART can be paced to a baud rate and can drop, corrupt or stall bytes on purpose; its
 * model store is a file (NOR-flash semantics); its analog pins and I2C parts play a scenario.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "hal.h"
#include "hal_config.h"
#include "i2c_devices.h"
#include "scenario.h"

/* ---------------- options ---------------- */

static struct {
  const char *flash_path;
  const char *scenario_path;
  const char *link_path;
  const char *board_id;
  long baud;            /* 0: unpaced */
  long rx_buffer;       /* bytes */
  long store_bytes;
  long page_bytes;
  int parent_fd; /* -1: none; else a pipe from the launcher that closes when it dies */
  double drop_rate, corrupt_rate;
  int fault_rx, fault_tx;
  long stall_ms, stall_every_ms;
  unsigned long seed;
} opt = {
    .board_id = "virtual-host",
    .rx_buffer = 1024,
    .store_bytes = 1024 * 1024,
    .page_bytes = 4096,
    .fault_rx = 1,
    .fault_tx = 1,
    .seed = 1,
    .parent_fd = -1,
};

static void usage(FILE *to) {
  fprintf(to,
          "usage: tinygate-host-board [options]\n"
          "  --flash FILE        model store file (created, 0xFF-filled; default: a temporary file)\n"
          "  --scenario FILE     CSV of machine signals (docs/virtual-board.md)\n"
          "  --baud N            pace the UART to N baud, 10 bits per byte (default: unpaced)\n"
          "  --faults SPEC       drop=P,corrupt=P,stall=MS/EVERY_MS,dir=rx|tx|both,seed=N\n"
          "  --rx-buffer N       UART receive buffer bytes the board reports and enforces (default 1024)\n"
          "  --store-bytes N     model store size, both slots (default 1048576)\n"
          "  --page-bytes N      store erase page (default 4096)\n"
          "  --board-id ID       board id reported in board info (default virtual-host)\n"
          "  --link PATH         also make PATH a symlink to the pty\n"
          "  --parent-fd N       stop when this pipe from the launcher closes (it died); on Linux also\n"
          "                      stop when the parent process dies (parent-death signal)\n");
}

static int parse_faults(const char *spec) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", spec);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    char *eq = strchr(tok, '=');
    if (!eq) return -1;
    *eq = 0;
    const char *v = eq + 1;
    if (!strcmp(tok, "drop")) opt.drop_rate = atof(v);
    else if (!strcmp(tok, "corrupt")) opt.corrupt_rate = atof(v);
    else if (!strcmp(tok, "seed")) opt.seed = strtoul(v, NULL, 10);
    else if (!strcmp(tok, "stall")) {
      if (sscanf(v, "%ld/%ld", &opt.stall_ms, &opt.stall_every_ms) != 2) return -1;
    } else if (!strcmp(tok, "dir")) {
      opt.fault_rx = !strcmp(v, "rx") || !strcmp(v, "both");
      opt.fault_tx = !strcmp(v, "tx") || !strcmp(v, "both");
      if (!opt.fault_rx && !opt.fault_tx) return -1;
    } else {
      return -1;
    }
  }
  if (opt.drop_rate < 0 || opt.drop_rate > 1 || opt.corrupt_rate < 0 || opt.corrupt_rate > 1) return -1;
  return 0;
}

/* ---------------- time ---------------- */

static struct timespec started;

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)(t.tv_sec - started.tv_sec) * 1000000u + (uint64_t)((t.tv_nsec - started.tv_nsec) / 1000);
}

uint32_t hal_millis(void) { return (uint32_t)(now_us() / 1000u); }
uint32_t hal_micros(void) { return (uint32_t)now_us(); }
static double scenario_time(void) { return (double)now_us() / 1e6; }

/* ---------------- faults ---------------- */

static uint64_t rng_state;

static double rng_unit(void) { /* xorshift64*: reproducible with --faults seed=N */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static unsigned long faults_dropped, faults_corrupted, rx_overflowed;

/* Returns -1 to drop the byte, else the (maybe corrupted) byte. */
static int apply_faults(uint8_t b, int enabled) {
  if (!enabled) return b;
  if (opt.drop_rate > 0 && rng_unit() < opt.drop_rate) {
    faults_dropped++;
    return -1;
  }
  if (opt.corrupt_rate > 0 && rng_unit() < opt.corrupt_rate) {
    faults_corrupted++;
    return b ^ (1 << (int)(rng_unit() * 8)); /* one flipped bit, as line noise does */
  }
  return b;
}

static int stalled(uint64_t t) {
  if (opt.stall_ms <= 0 || opt.stall_every_ms <= 0) return 0;
  return (t / 1000u) % (uint64_t)opt.stall_every_ms >= (uint64_t)(opt.stall_every_ms - opt.stall_ms);
}

/* ---------------- stopping ---------------- */

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* The launcher's pipe reads end-of-file once the launcher is gone, however it died. */
static int parent_gone(void) {
  if (opt.parent_fd < 0) return 0;
  struct pollfd p = {.fd = opt.parent_fd, .events = POLLIN};
  if (poll(&p, 1, 0) <= 0) return 0;
  char drain[64];
  ssize_t n = read(opt.parent_fd, drain, sizeof drain);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* ---------------- UART over a pty ---------------- */

static int master_fd = -1, slave_fd = -1;
static uint8_t *rx_ring;
static long rx_head, rx_count;
#define TX_QUEUE 8192
static uint8_t tx_queue[TX_QUEUE];
static long tx_head, tx_count;
static double byte_us; /* one byte on the wire, start and stop bits included */
static double rx_wire_at, tx_wire_at;

static void rx_push(uint8_t b) {
  if (rx_count == opt.rx_buffer) { /* a real UART loses what its buffer cannot hold */
    rx_overflowed++;
    return;
  }
  rx_ring[(rx_head + rx_count) % opt.rx_buffer] = b;
  rx_count++;
}

int hal_uart_read(void) {
  if (!rx_count) return -1;
  uint8_t b = rx_ring[rx_head];
  rx_head = (rx_head + 1) % opt.rx_buffer;
  rx_count--;
  return b;
}

/* Bytes the wire could have carried since `at` (the time its last byte ended). */
static long wire_budget(const double *at, uint64_t now) {
  if (byte_us <= 0) return 1 << 20;
  long n = (long)(((double)now - *at) / byte_us);
  return n < 0 ? 0 : n;
}

static int uart_service(void) {
  int moved = 0;
  uint64_t t = now_us();
  /* Receive: from the pty into the RX ring at wire speed. */
  long budget = wire_budget(&rx_wire_at, t);
  if (byte_us <= 0) budget = opt.rx_buffer - rx_count; /* unpaced: the kernel buffer is our flow control */
  uint8_t buf[4096];
  while (budget > 0) {
    long want = budget < (long)sizeof buf ? budget : (long)sizeof buf;
    ssize_t got = read(master_fd, buf, (size_t)want);
    if (got <= 0) {
      rx_wire_at = (double)t; /* the line is idle now: idle time earns no credit */
      break;
    }
    for (ssize_t i = 0; i < got; i++) {
      int b = apply_faults(buf[i], opt.fault_rx);
      if (b >= 0) rx_push((uint8_t)b);
    }
    if (byte_us > 0) rx_wire_at += (double)got * byte_us;
    budget -= got;
    moved = 1;
    if (byte_us <= 0) budget = opt.rx_buffer - rx_count;
  }
  /* Transmit: from the TX queue to the pty at wire speed; nobody listening loses the bytes. */
  budget = wire_budget(&tx_wire_at, t);
  while (tx_count > 0 && budget > 0) {
    long n = tx_count;
    if (n > TX_QUEUE - tx_head) n = TX_QUEUE - tx_head;
    if (n > budget) n = budget;
    ssize_t w = write(master_fd, tx_queue + tx_head, (size_t)n);
    if (w < 0 && byte_us <= 0) break; /* unpaced: wait for the reader */
    /* Paced: the wire moved on whether or not the pty took it; nobody listening loses the bytes. */
    long used = byte_us > 0 ? n : (long)w;
    tx_head = (tx_head + used) % TX_QUEUE;
    tx_count -= used;
    if (byte_us > 0) tx_wire_at += (double)n * byte_us;
    budget -= used;
    moved = 1;
    if (used < n) break;
  }
  if (tx_count == 0) tx_wire_at = (double)t;
  return moved;
}

/* Writes wait for the wire, sample slots included: the host build models a board whose loop blocks there. */
uint16_t hal_uart_tx_room(void) { return HAL_UART_TX_ROOM_ANY; }

void hal_uart_write(const uint8_t *data, uint16_t len) {
  for (uint16_t i = 0; i < len; i++) {
    while (tx_count == TX_QUEUE) { /* like Serial.write: block until the wire frees room */
      /* ...but nobody may ever read again: a stop request or a dead launcher must still end us. */
      if (stop_requested || parent_gone()) {
        stop_requested = 1;
        return;
      }
      if (!uart_service()) usleep(200);
    }
    int b = apply_faults(data[i], opt.fault_tx);
    if (b < 0) continue;
    tx_queue[(tx_head + tx_count) % TX_QUEUE] = (uint8_t)b;
    tx_count++;
  }
}

static int open_pty(void) {
  master_fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (master_fd < 0 || grantpt(master_fd) != 0 || unlockpt(master_fd) != 0) return -1;
  const char *name = ptsname(master_fd);
  if (!name) return -1;
  /* Hold the slave open and raw: the line discipline must not echo our output back to us,
     and reads must not fail with EIO while no gateway has the port open. */
  slave_fd = open(name, O_RDWR | O_NOCTTY);
  if (slave_fd < 0) return -1;
  struct termios tio;
  if (tcgetattr(slave_fd, &tio) != 0) return -1;
  cfmakeraw(&tio);
  if (tcsetattr(slave_fd, TCSANOW, &tio) != 0) return -1;
  fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);
  return 0;
}

/* ---------------- model store: a file, mapped ---------------- */

static uint8_t *store;

static int open_store(char *path_out, size_t path_len) {
  int fd;
  if (opt.flash_path) {
    fd = open(opt.flash_path, O_RDWR | O_CREAT, 0644);
    snprintf(path_out, path_len, "%s", opt.flash_path);
  } else {
    snprintf(path_out, path_len, "/tmp/tinygate-board-%ld.flash", (long)getpid());
    fd = open(path_out, O_RDWR | O_CREAT | O_TRUNC, 0644);
  }
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  /* A short (new or truncated) image reads as erased flash past its end. */
  if (st.st_size < opt.store_bytes) {
    if (ftruncate(fd, opt.store_bytes) != 0) return -1;
    static uint8_t ff[4096];
    memset(ff, 0xFF, sizeof ff);
    for (off_t at = st.st_size; at < opt.store_bytes;) {
      size_t n = (size_t)(opt.store_bytes - at) < sizeof ff ? (size_t)(opt.store_bytes - at) : sizeof ff;
      if (pwrite(fd, ff, n, at) != (ssize_t)n) return -1;
      at += (off_t)n;
    }
  }
  store = mmap(NULL, (size_t)opt.store_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  return store == MAP_FAILED ? -1 : 0;
}

uint32_t hal_store_bytes(void) { return (uint32_t)opt.store_bytes; }
uint32_t hal_store_page_bytes(void) { return (uint32_t)opt.page_bytes; }
const uint8_t *hal_store_map(void) { return store; }

int hal_store_read(uint32_t address, void *data, uint32_t len) {
  if (address > (uint32_t)opt.store_bytes || len > (uint32_t)opt.store_bytes - address) return -1;
  memcpy(data, store + address, len);
  return 0;
}

int hal_store_program(uint32_t address, const void *data, uint32_t len) {
  if (address > (uint32_t)opt.store_bytes || len > (uint32_t)opt.store_bytes - address) return -1;
  const uint8_t *d = data;
  for (uint32_t i = 0; i < len; i++) store[address + i] &= d[i]; /* NOR: programming only clears bits */
  return 0;
}

int hal_store_erase(uint32_t address, uint32_t len) {
  if (address % (uint32_t)opt.page_bytes || len % (uint32_t)opt.page_bytes) return -1;
  if (address > (uint32_t)opt.store_bytes || len > (uint32_t)opt.store_bytes - address) return -1;
  memset(store + address, 0xFF, len);
  return 0;
}

/* ---------------- pins: an Uno-like layout ---------------- */

#define PINS 20
#define D (PIN_CAP(PIN_MODE_INPUT) | PIN_CAP(PIN_MODE_OUTPUT) | PIN_CAP(PIN_MODE_PULLUP))
#define P (D | PIN_CAP(PIN_MODE_PWM) | PIN_CAP(PIN_MODE_SERVO))
#define S (D | PIN_CAP(PIN_MODE_SERVO))
#define A (D | PIN_CAP(PIN_MODE_ANALOG))
#define I (A | PIN_CAP(PIN_MODE_I2C))
static const uint16_t PIN_MODES[PINS] = {0, 0, S, P, S, P, P, S, S, P, P, P, S, S, A, A, A, A, I, I};
#define N NO_ANALOG_CHANNEL
static const uint8_t ANALOG_CHANNEL[PINS] = {N, N, N, N, N, N, N, N, N, N, N, N, N, N, 0, 1, 2, 3, 4, 5};
static hal_board_t board_desc = {
    .pin_count = PINS,
    .pin_modes = PIN_MODES,
    .analog_channel = ANALOG_CHANNEL,
    .adc_bits = 10,
    .pwm_bits = 8,
    .flash_bytes = 0, /* set from the store size: the host has no program flash to speak of */
    .arena_bytes = TG_ARENA_BYTES, /* the runtime's own arena: board info says what it can hold */
    .ram_bytes = 1024 * 1024,      /* nominal: the host is a Linux process */
};

const hal_board_t *hal_board(void) { return &board_desc; }

static uint8_t pin_level[PINS], pin_pullup[PINS];

void hal_pin_mode(uint8_t pin, uint8_t mode) {
  if (pin < PINS) pin_pullup[pin] = mode == PIN_MODE_PULLUP;
}
void hal_digital_write(uint8_t pin, uint8_t value) {
  if (pin < PINS) pin_level[pin] = value ? 1 : 0;
}
uint8_t hal_digital_read(uint8_t pin) { return pin < PINS ? (uint8_t)(pin_level[pin] | pin_pullup[pin]) : 0; }
void hal_pwm_write(uint8_t pin, uint16_t value) {
  if (pin < PINS) pin_level[pin] = value ? 1 : 0;
}

static uint16_t analog_at(uint8_t channel, double t) {
  if (channel > 5) return 0;
  double volts = scenario_value(SIG_A0 + channel, t);
  double counts = round(volts / 5.0 * 1024.0); /* ATmega datasheet: ADC = Vin * 1024 / Vref, Vref 5 V */
  if (counts < 0) counts = 0;
  if (counts > 1023) counts = 1023;
  return (uint16_t)counts;
}
uint16_t hal_analog_read(uint8_t channel) { return analog_at(channel, scenario_time()); }
/* The emulated ADC samples the scenario at the slot's own time, however late the loop reaches it. */
uint16_t hal_analog_sample(uint8_t channel, uint32_t slot_ms) { return analog_at(channel, (double)slot_ms / 1e3); }

/* The loop is the sampler's clock here (TG_SAMPLER_IN_LOOP): no interrupt to mask. */
uint32_t hal_irq_save(void) { return 0; }
void hal_irq_restore(uint32_t state) { (void)state; }

int hal_i2c_write(uint8_t address, const uint8_t *data, uint8_t len, uint8_t send_stop) {
  (void)send_stop;
  return i2c_device_write(address, data, len, scenario_time());
}

int hal_i2c_read(uint8_t address, uint8_t *data, uint8_t len) {
  return i2c_device_read(address, data, len, scenario_time());
}

/* ---------------- main ---------------- */

static long parse_long(const char *name, const char *v, long min) {
  char *end;
  long n = strtol(v, &end, 10);
  if (*end || n < min) {
    fprintf(stderr, "error: %s: \"%s\" is not a whole number >= %ld\n", name, v, min);
    exit(1);
  }
  return n;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "error: %s needs a value\n", a);
      usage(stderr);
      return 1;
    }
    i++;
    if (!strcmp(a, "--flash")) opt.flash_path = v;
    else if (!strcmp(a, "--scenario")) opt.scenario_path = v;
    else if (!strcmp(a, "--link")) opt.link_path = v;
    else if (!strcmp(a, "--board-id")) opt.board_id = v;
    else if (!strcmp(a, "--baud")) opt.baud = parse_long(a, v, 0);
    else if (!strcmp(a, "--rx-buffer")) opt.rx_buffer = parse_long(a, v, 16);
    else if (!strcmp(a, "--store-bytes")) opt.store_bytes = parse_long(a, v, 8192);
    else if (!strcmp(a, "--page-bytes")) opt.page_bytes = parse_long(a, v, 64);
    else if (!strcmp(a, "--parent-fd")) opt.parent_fd = (int)parse_long(a, v, 0);
    else if (!strcmp(a, "--faults")) {
      if (parse_faults(v) != 0) {
        fprintf(stderr, "error: --faults \"%s\": expected drop=P,corrupt=P,stall=MS/EVERY_MS,dir=rx|tx|both,seed=N\n", v);
        return 1;
      }
    } else {
      fprintf(stderr, "error: unknown option %s\n", a);
      usage(stderr);
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &started);
  rng_state = opt.seed * 0x9E3779B97F4A7C15ULL + 1;
  byte_us = opt.baud > 0 ? 10e6 / (double)opt.baud : 0;
  board_desc.board_id = opt.board_id;
  board_desc.flash_bytes = (uint32_t)opt.store_bytes;
  board_desc.rx_buffer_bytes = (uint16_t)(opt.rx_buffer > 65535 ? 65535 : opt.rx_buffer);
  rx_ring = malloc((size_t)opt.rx_buffer); /* all allocation happens here, before the firmware starts */
  if (!rx_ring) return 2;

  char err[512];
  if (opt.scenario_path && scenario_load(opt.scenario_path, err, sizeof err) != 0) {
    fprintf(stderr, "error: %s\n", err);
    return 1;
  }
  char flash_path[1024];
  if (open_store(flash_path, sizeof flash_path) != 0) {
    fprintf(stderr, "error: cannot open the model store file %s: %s\n", flash_path, strerror(errno));
    return 1;
  }
  if (open_pty() != 0) {
    fprintf(stderr, "error: cannot open a pty: %s\n", strerror(errno));
    return 2;
  }
  const char *port = ptsname(master_fd);
  if (opt.link_path) {
    unlink(opt.link_path);
    if (symlink(port, opt.link_path) != 0) {
      fprintf(stderr, "error: cannot link %s -> %s: %s\n", opt.link_path, port, strerror(errno));
      return 1;
    }
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
#ifdef __linux__
  /* SIGTERM the moment the parent dies, even mid-write; the pipe below is the portable twin. */
  if (opt.parent_fd >= 0) prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
  if (parent_gone()) return 0; /* it died before we could watch it */

  i2c_devices_init();
  bridge_init();
  /* One JSON line tells the launcher where to connect. */
  printf("{\"port\":\"%s\",\"flash\":\"%s\",\"pid\":%ld,\"baud\":%ld}\n", port, flash_path, (long)getpid(), opt.baud);
  fflush(stdout);

  uint64_t next_parent_check = 0;
  while (!stop_requested) {
    if (now_us() >= next_parent_check) { /* ten times a second is prompt enough, and cheap */
      if (parent_gone()) break;
      next_parent_check = now_us() + 100000u;
    }
    int busy = uart_service();
    if (!stalled(now_us())) {
      busy |= rx_count > 0;
      bridge_poll();
    }
    if (!busy || byte_us > 0) {
      /* Sleep until just past the next millisecond tick (or input): samples then leave on time, at 1 kHz
         too, without a busy loop. A paced UART wakes sooner to move its next byte. */
      fd_set readable;
      FD_ZERO(&readable);
      FD_SET(master_fd, &readable);
      long until_tick = 1000L - (long)(now_us() % 1000u) + 20L;
      if (byte_us > 0 && byte_us < until_tick) until_tick = byte_us;
      struct timeval wait = {.tv_sec = 0, .tv_usec = until_tick};
      select(master_fd + 1, &readable, NULL, NULL, &wait);
    }
  }
  uart_service();
  msync(store, (size_t)opt.store_bytes, MS_SYNC);
  if (opt.link_path) unlink(opt.link_path);
  fprintf(stderr, "board: stopped (faults: %lu dropped, %lu corrupted; %lu bytes lost to RX overflow)\n",
          faults_dropped, faults_corrupted, rx_overflowed);
  return 0;
}
