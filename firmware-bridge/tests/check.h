/* A minimal test harness: CHECK prints the failing expression with its place and fails the run. */
#ifndef TG_CHECK_H
#define TG_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(cond, ...)                                             \
  do {                                                               \
    check_count++;                                                   \
    if (!(cond)) {                                                   \
      check_failures++;                                              \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                  \
      fprintf(stderr, "\n");                                         \
      if (check_failures > 20) exit(1);                              \
    }                                                                \
  } while (0)

static inline int check_report(const char *suite) {
  printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
  return check_failures ? 1 : 0;
}

#endif
