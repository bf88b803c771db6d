/**
 * Units Home Assistant accepts per sensor device class (its sensor docs; it logs a warning and shows no
 * graph for another unit). Only the classes tinygate's sensors can map to.
 */
const UNITS: Record<string, string[]> = {
  temperature: ['°C', '°F', 'K'],
  humidity: ['%'],
  pressure: ['Pa', 'hPa', 'kPa', 'bar', 'cbar', 'mbar', 'mmHg', 'inHg', 'psi'],
  current: ['A', 'mA'],
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
  power: ['W', 'kW', 'mW', 'MW', 'GW', 'TW', 'BTU/h'],
  frequency: ['Hz', 'kHz', 'MHz', 'GHz'],
};

/** How a board's unit is spelled for Home Assistant. */
const SPELLING: Record<string, string> = { '%RH': '%' };

/** A device class for a unit when the unit alone says what is measured. */
const CLASS_OF_UNIT: Record<string, string> = { '°C': 'temperature', '%RH': 'humidity', Pa: 'pressure' };

/**
 * The unit and device class to announce: the unit in HA's spelling, and a device class only when HA takes
 * that unit for it (a class with another unit would be refused by HA, so it is left out instead).
 */
export function haMeasurement(unit?: string, deviceClass?: string): { unit?: string; deviceClass?: string } {
  const cls = deviceClass ?? (unit ? CLASS_OF_UNIT[unit] : undefined);
  const spelled = unit === undefined ? undefined : (SPELLING[unit] ?? unit);
  const ok = cls !== undefined && spelled !== undefined && (UNITS[cls]?.includes(spelled) ?? false);
  return { ...(spelled !== undefined ? { unit: spelled } : {}), ...(ok ? { deviceClass: cls } : {}) };
}
