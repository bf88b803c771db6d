#include "scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[SIG_COUNT] = {
    "A0",         "A1",         "A2",         "A3",           "A4",          "A5",
    "mpu6050.ax", "mpu6050.ay", "mpu6050.az", "mpu6050.gx",   "mpu6050.gy",  "mpu6050.gz",
    "mpu6050.temp", "bme280.temp", "bme280.pressure", "bme280.humidity",
};

/* A board at rest on a bench: 1 g down, room temperature, sea-level pressure. */
static const double DEFAULTS[SIG_COUNT] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1.0, 0, 0, 0, 25.0, 25.0, 101325.0, 40.0,
};

static double *times;   /* rows */
static float *values;   /* rows x SIG_COUNT, NAN where the file has no column */
static long rows;
static int present[SIG_COUNT];
static double period;   /* loop length in seconds */

const char *scenario_signal_name(int signal) { return signal >= 0 && signal < SIG_COUNT ? NAMES[signal] : "?"; }

/* Split at commas keeping empty fields (strtok would merge them and shift columns). */
static char *next_field(char **cursor) {
  char *start = *cursor;
  if (!start) return NULL;
  char *comma = strchr(start, ',');
  if (comma) {
    *comma = 0;
    *cursor = comma + 1;
  } else {
    *cursor = NULL;
  }
  return start;
}

static void trim(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '"')) s[--n] = 0;
  size_t lead = 0;
  while (s[lead] == ' ' || s[lead] == '"') lead++;
  if (lead) memmove(s, s + lead, strlen(s + lead) + 1);
}

int scenario_load(const char *path, char *err, unsigned err_len) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, err_len, "%s: cannot open the scenario file", path);
    return -1;
  }
  static char line[8192];
  int column_signal[256];
  int columns = 0, t_column = -1;
  if (!fgets(line, sizeof line, f)) {
    snprintf(err, err_len, "%s: empty file; expected a header row starting with t", path);
    fclose(f);
    return -1;
  }
  char *cursor = line;
  for (char *tok = next_field(&cursor); tok && columns < 256; tok = next_field(&cursor), columns++) {
    trim(tok);
    column_signal[columns] = -1;
    if (strcmp(tok, "t") == 0) t_column = columns;
    for (int s = 0; s < SIG_COUNT; s++)
      if (strcmp(tok, NAMES[s]) == 0) column_signal[columns] = s;
  }
  if (t_column < 0) {
    snprintf(err, err_len, "%s: line 1: no column named t (seconds)", path);
    fclose(f);
    return -1;
  }
  long cap = 1024;
  times = malloc(sizeof *times * (size_t)cap);
  values = malloc(sizeof *values * (size_t)cap * SIG_COUNT);
  long line_no = 1;
  while (fgets(line, sizeof line, f)) {
    line_no++;
    trim(line);
    if (!line[0]) continue;
    if (rows == cap) {
      cap *= 2;
      times = realloc(times, sizeof *times * (size_t)cap);
      values = realloc(values, sizeof *values * (size_t)cap * SIG_COUNT);
    }
    if (!times || !values) {
      snprintf(err, err_len, "%s: out of memory at line %ld", path, line_no);
      fclose(f);
      return -1;
    }
    float *row = values + rows * SIG_COUNT;
    for (int s = 0; s < SIG_COUNT; s++) row[s] = NAN;
    double t = NAN;
    int c = 0;
    cursor = line;
    for (char *tok = next_field(&cursor); tok; tok = next_field(&cursor), c++) {
      if (c >= columns) break;
      if (c != t_column && column_signal[c] < 0) continue;
      trim(tok);
      if (!tok[0] && c != t_column) continue; /* empty cell: hold the column's previous value */
      char *end;
      double v = strtod(tok, &end);
      if (end == tok) {
        snprintf(err, err_len, "%s: line %ld, column %d: \"%s\" is not a number", path, line_no, c + 1, tok);
        fclose(f);
        return -1;
      }
      if (c == t_column) t = v;
      else row[column_signal[c]] = (float)v, present[column_signal[c]] = 1;
    }
    if (isnan(t) || (rows > 0 && t <= times[rows - 1])) {
      snprintf(err, err_len, "%s: line %ld: t must be a number larger than the previous row's", path, line_no);
      fclose(f);
      return -1;
    }
    times[rows++] = t;
  }
  fclose(f);
  if (rows == 0) {
    snprintf(err, err_len, "%s: no data rows after the header", path);
    return -1;
  }
  /* The last row is held for one more step, then the file plays again from its first row. */
  double last_step = rows > 1 ? times[rows - 1] - times[rows - 2] : 1.0;
  period = times[rows - 1] - times[0] + last_step;
  return 0;
}

double scenario_value(int signal, double t) {
  if (signal < 0 || signal >= SIG_COUNT) return 0;
  if (!rows || !present[signal]) return DEFAULTS[signal];
  double at = times[0] + fmod(t, period);
  long lo = 0, hi = rows - 1;
  while (lo < hi) { /* last row with time <= at */
    long mid = (lo + hi + 1) / 2;
    if (times[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  /* A missing cell holds the latest earlier value in its column. */
  for (long r = lo; r >= 0; r--) {
    float v = values[r * SIG_COUNT + signal];
    if (!isnan(v)) return v;
  }
  return DEFAULTS[signal];
}
