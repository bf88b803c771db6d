/* pty-relay: a pseudo-terminal for a board emulated in another process (src/sim/avr-pty.ts). Bytes the
   program holding the pty writes come out on stdout; bytes on stdin go to it. Stderr carries events, one a
   line: "pty <path>" once, then "open" each time a program opens the pty (a USB-serial Arduino resets
   then: the host raises DTR) and "close" when the last one closes it. Board output while nobody has the
   pty open is dropped, as a USB-serial bridge drops it. An open is seen as the master's hang-up state
   (POLLHUP while no slave is open) going away, polled every millisecond while the pty is closed.
   Usage: pty-relay [symlink to create for the pty] */
#define _XOPEN_SOURCE 600
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *link_path;

static void remove_link(void) {
  if (link_path) unlink(link_path);
}

static void on_signal(int sig) {
  remove_link();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Write all of buf to fd, waiting while the pty's queue is full; 0 when it could not (the reader went away,
   or read nothing for a second: then the rest is dropped, as a USB-serial bridge drops it). */
static int write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t k = write(fd, buf, (size_t)n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, 1000) <= 0 || (p.revents & (POLLHUP | POLLERR))) return 0;
      continue;
    }
    if (k <= 0) return 0;
    buf += k;
    n -= k;
  }
  return 1;
}

static int slave_open(int master) {
  struct pollfd p = {master, POLLIN, 0};
  if (poll(&p, 1, 0) < 0) return 0;
  return !(p.revents & POLLHUP);
}

int main(int argc, char **argv) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    perror("pty-relay: posix_openpt");
    return 1;
  }
  const char *name = ptsname(master);
  /* Open and close the slave once, so that the master is in the hang-up state the next open ends. */
  int probe = name ? open(name, O_RDWR | O_NOCTTY) : -1;
  if (probe < 0) {
    perror("pty-relay: open slave");
    return 1;
  }
  close(probe);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  if (argc > 1) {
    link_path = argv[1];
    unlink(link_path);
    if (symlink(name, link_path) != 0) {
      perror("pty-relay: symlink");
      return 1;
    }
    atexit(remove_link);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
  }
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stderr, NULL, _IOLBF, 0);
  fprintf(stderr, "pty %s\n", name);
  char buf[4096];
  int opened = 0;
  for (;;) {
    if (!opened) {
      struct pollfd in = {0, POLLIN, 0};
      if (poll(&in, 1, 1) > 0) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n <= 0) return 0; /* stdin closed: the emulator stopped */
      }
      if (slave_open(master)) {
        opened = 1;
        fprintf(stderr, "open\n");
      }
      continue;
    }
    struct pollfd p[2] = {{0, POLLIN, 0}, {master, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("pty-relay: poll");
      return 1;
    }
    if (p[1].revents & POLLIN) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0 && !write_all(1, buf, n)) return 0;
    }
    if (p[1].revents & POLLHUP && !(p[1].revents & POLLIN)) {
      opened = 0;
      fprintf(stderr, "close\n");
      continue;
    }
    if (p[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) return 0;
      write_all(master, buf, n);
    }
  }
}
