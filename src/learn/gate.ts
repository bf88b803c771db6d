/**
 * Machine alarms a day expected when each window exceeds the threshold with probability `q` and an alarm
 * needs k of the last n windows above it (windows taken as independent: overlapping windows are not,
 * which makes bunched exceedances likelier, so the figure is a floor on what the tail alone allows).
 */
export function alarmsPerDay(q: number, debounce: { k: number; n: number }, spacingS: number): number {
  let p = 0;
  for (let j = debounce.k; j <= debounce.n; j++)
    p += binomial(debounce.n, j) * q ** j * (1 - q) ** (debounce.n - j);
  return (p * 86_400) / spacingS;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}
