/*
 * Machine signals for the host board, from a CSV "scenario file": a header row, column t
 * (seconds, increasing) then any of the signal columns below; unknown columns are ignored.
 * Rows are played against the board's clock, each value held until the next row, looping.
 */
#ifndef TG_SCENARIO_H
#define TG_SCENARIO_H

enum {
  SIG_A0,
  SIG_A1,
  SIG_A2,
  SIG_A3,
  SIG_A4,
  SIG_A5,
  SIG_MPU_AX,
  SIG_MPU_AY,
  SIG_MPU_AZ,
  SIG_MPU_GX,
  SIG_MPU_GY,
  SIG_MPU_GZ,
  SIG_MPU_TEMP,
  SIG_BME_TEMP,
  SIG_BME_PRESSURE,
  SIG_BME_HUMIDITY,
  SIG_COUNT
};

/* Load a scenario (at start-up only). Returns 0, or -1 with a message in err. */
int scenario_load(const char *path, char *err, unsigned err_len);
/* The signal's value at time t seconds since start, or its default when the file has no such column. */
double scenario_value(int signal, double t);
/* Column name of a signal, as in the CSV header. */
const char *scenario_signal_name(int signal);

#endif
