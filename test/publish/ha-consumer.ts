// A test consumer that reads MQTT discovery the way Home Assistant does (device-based discovery, HA 2024.11+):
// expand the documented abbreviations, check required fields, merge the device-level shared options into each
// component, and compute each entity's state from its state topic, value template and availability.
// Written from HA's MQTT integration docs; it fails loudly on anything it does not understand.

/** HA's documented abbreviations for the keys tinygate (or a typo of it) could use. */
const ABBREVIATIONS: Record<string, string> = {
  avty: 'availability',
  avty_mode: 'availability_mode',
  avty_t: 'availability_topic',
  avty_tpl: 'availability_template',
  cmd_t: 'command_topic',
  cmd_tpl: 'command_template',
  cmps: 'components',
  dev: 'device',
  dev_cla: 'device_class',
  e: 'encoding',
  evt_typ: 'event_types',
  en: 'enabled_by_default',
  ent_cat: 'entity_category',
  exp_aft: 'expire_after',
  frc_upd: 'force_update',
  ic: 'icon',
  json_attr_t: 'json_attributes_topic',
  json_attr_tpl: 'json_attributes_template',
  o: 'origin',
  obj_id: 'object_id',
  off_dly: 'off_delay',
  p: 'platform',
  pl_avail: 'payload_available',
  pl_not_avail: 'payload_not_available',
  pl_off: 'payload_off',
  pl_on: 'payload_on',
  pl_prs: 'payload_press',
  stat_cla: 'state_class',
  stat_t: 'state_topic',
  sug_dsp_prc: 'suggested_display_precision',
  t: 'topic',
  uniq_id: 'unique_id',
  unit_of_meas: 'unit_of_measurement',
  val_tpl: 'value_template',
};
const DEVICE_ABBREVIATIONS: Record<string, string> = {
  cns: 'connections',
  cu: 'configuration_url',
  hw: 'hw_version',
  ids: 'identifiers',
  mf: 'manufacturer',
  mdl: 'model',
  mdl_id: 'model_id',
  sa: 'suggested_area',
  sn: 'serial_number',
  sw: 'sw_version',
};
const ORIGIN_ABBREVIATIONS: Record<string, string> = { sw: 'sw_version', url: 'support_url' };

const DEVICE_KEYS = new Set([
  'connections',
  'configuration_url',
  'hw_version',
  'identifiers',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'serial_number',
  'suggested_area',
  'sw_version',
  'via_device',
]);
const ORIGIN_KEYS = new Set(['name', 'sw_version', 'support_url']);
/** Options allowed at the root of a device discovery payload (shared with every component). */
const SHARED_KEYS = new Set([
  'device',
  'origin',
  'components',
  'availability',
  'availability_mode',
  'availability_topic',
  'availability_template',
  'payload_available',
  'payload_not_available',
  'state_topic',
  'command_topic',
  'qos',
  'encoding',
]);
const ENTITY_KEYS = new Set([
  'platform',
  'name',
  'unique_id',
  'object_id',
  'device_class',
  'entity_category',
  'enabled_by_default',
  'expire_after',
  'force_update',
  'icon',
  'json_attributes_topic',
  'json_attributes_template',
  'state_topic',
  'value_template',
  'qos',
  'encoding',
  'availability',
  'availability_mode',
]);
const PLATFORM_KEYS: Record<string, Set<string>> = {
  binary_sensor: new Set([...ENTITY_KEYS, 'payload_on', 'payload_off', 'off_delay']),
  sensor: new Set([...ENTITY_KEYS, 'unit_of_measurement', 'state_class', 'suggested_display_precision']),
  button: new Set([...ENTITY_KEYS, 'command_topic', 'payload_press', 'retain']),
  event: new Set([...ENTITY_KEYS, 'event_types']),
  number: new Set([
    ...ENTITY_KEYS,
    'command_topic',
    'command_template',
    'min',
    'max',
    'step',
    'mode',
    'unit_of_measurement',
    'retain',
  ]),
};
/** HA's button device classes (homeassistant/components/button/const.py). */
const BUTTON_CLASSES = new Set(['identify', 'restart', 'update']);
const BINARY_SENSOR_CLASSES = new Set([
  'battery',
  'connectivity',
  'door',
  'heat',
  'moisture',
  'motion',
  'power',
  'problem',
  'running',
  'safety',
  'smoke',
  'tamper',
  'vibration',
]);
const SENSOR_CLASSES = new Set([
  'current',
  'duration',
  'frequency',
  'humidity',
  'power',
  'pressure',
  'speed',
  'temperature',
  'voltage',
]);
const STATE_CLASSES = new Set(['measurement', 'total', 'total_increasing']);
const ENTITY_CATEGORIES = new Set(['config', 'diagnostic']);

export interface HaDevice {
  identifiers: string[];
  name?: string;
  manufacturer?: string;
  model?: string;
  sw_version?: string;
  configuration_url?: string;
  via_device?: string;
}

export interface HaEntity {
  platform: 'binary_sensor' | 'sensor' | 'button' | 'event' | 'number';
  /** A number's: what HA publishes when it is set, and the range it lets a user set. */
  commandTemplate?: string;
  min?: number;
  max?: number;
  /** An event's: the types it may fire. */
  eventTypes?: string[];
  /** A button's: what HA publishes where when it is pressed (default payload PRESS). */
  commandTopic?: string;
  payloadPress?: string;
  uniqueId: string;
  name: string;
  deviceClass?: string;
  stateClass?: string;
  unit?: string;
  entityCategory?: string;
  /** Seconds without a state after which HA shows it unknown. */
  expireAfter?: number;
  stateTopic: string;
  valueTemplate?: string;
  payloadOn: string;
  payloadOff: string;
  availability: { topic: string; payloadAvailable: string; payloadNotAvailable: string }[];
  availabilityMode: 'all' | 'any' | 'latest';
  device: HaDevice;
  origin: { name: string; sw_version?: string };
}

function expand(
  obj: Record<string, unknown>,
  table: Record<string, string>,
  where: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const full = table[k] ?? k;
    if (full in out) throw new Error(`${where}: "${k}" and its full form both given`);
    out[full] = v;
  }
  return out;
}

function checkKeys(obj: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) throw new Error(`${where}: unknown option "${k}"`);
}

/** Parse one device discovery message into entities, as HA would set them up; throws on what HA rejects. */
export function parseDeviceDiscovery(topic: string, json: string, prefix = 'homeassistant'): HaEntity[] {
  const m = new RegExp(`^${prefix}/device/([a-zA-Z0-9_-]+)/config$`).exec(topic);
  if (!m) throw new Error(`${topic}: not a device discovery topic`);
  const root = expand(JSON.parse(json) as Record<string, unknown>, ABBREVIATIONS, topic);
  checkKeys(root, SHARED_KEYS, topic);
  if (!root.device || !root.origin || !root.components)
    throw new Error(`${topic}: device, origin and components are required`);
  const device = expand(root.device as Record<string, unknown>, DEVICE_ABBREVIATIONS, `${topic} device`);
  checkKeys(device, DEVICE_KEYS, `${topic} device`);
  const ids = device.identifiers;
  const identifiers = typeof ids === 'string' ? [ids] : (ids as string[]);
  if (!Array.isArray(identifiers) || identifiers.length === 0)
    throw new Error(`${topic}: device.identifiers required`);
  const origin = expand(root.origin as Record<string, unknown>, ORIGIN_ABBREVIATIONS, `${topic} origin`);
  checkKeys(origin, ORIGIN_KEYS, `${topic} origin`);
  if (typeof origin.name !== 'string') throw new Error(`${topic}: origin.name required`);
  const components = root.components as Record<string, Record<string, unknown>>;
  if (Object.keys(components).length === 0) throw new Error(`${topic}: no components`);

  const entities: HaEntity[] = [];
  for (const [cid, raw] of Object.entries(components)) {
    const where = `${topic} component ${cid}`;
    if (!/^[a-zA-Z0-9_-]+$/.test(cid)) throw new Error(`${where}: bad component id`);
    const c = expand(raw, ABBREVIATIONS, where);
    const platform = c.platform as string;
    const allowed = PLATFORM_KEYS[platform];
    if (!allowed) throw new Error(`${where}: unsupported platform "${platform}"`);
    checkKeys(c, allowed, where);
    if (typeof c.unique_id !== 'string' || !c.unique_id) throw new Error(`${where}: unique_id required`);
    // Shared options apply unless the component overrides them.
    const stateTopic = (c.state_topic ?? root.state_topic) as string | undefined;
    if ((platform === 'button' || platform === 'number') && typeof c.command_topic !== 'string')
      throw new Error(`${where}: command_topic required`);
    if (platform === 'number') {
      // HA's defaults are 1..100, step 1; its smallest step is 0.001; mode auto, box or slider.
      const min = (c.min as number) ?? 1;
      const max = (c.max as number) ?? 100;
      const step = (c.step as number) ?? 1;
      if (!(min < max) || step < 0.001)
        throw new Error(`${where}: bad number range ${min}..${max} step ${step}`);
      if (c.mode !== undefined && !['auto', 'box', 'slider'].includes(c.mode as string))
        throw new Error(`${where}: invalid mode`);
    }
    if (!stateTopic) throw new Error(`${where}: state_topic required`);
    const dc = c.device_class as string | undefined;
    const classes =
      platform === 'binary_sensor'
        ? BINARY_SENSOR_CLASSES
        : platform === 'button'
          ? BUTTON_CLASSES
          : SENSOR_CLASSES;
    if (dc && !classes.has(dc)) {
      throw new Error(`${where}: invalid device_class "${dc}"`);
    }
    // HA refuses a unit its device class does not take (two classes checked here: what tinygate's sensors give).
    const needs: Record<string, string[]> = { humidity: ['%'], temperature: ['°C', '°F', 'K'] };
    if (dc && needs[dc] && !needs[dc].includes(c.unit_of_measurement as string)) {
      throw new Error(
        `${where}: unit "${String(c.unit_of_measurement)}" is not valid for device_class ${dc}`,
      );
    }
    if (c.state_class !== undefined && !STATE_CLASSES.has(c.state_class as string)) {
      throw new Error(`${where}: invalid state_class`);
    }
    if (c.entity_category !== undefined && !ENTITY_CATEGORIES.has(c.entity_category as string)) {
      throw new Error(`${where}: invalid entity_category`);
    }
    const avtyList = (c.availability ?? root.availability ?? []) as Record<string, unknown>[];
    const availability = avtyList.map((a, i) => {
      const e = expand(a, ABBREVIATIONS, `${where} availability[${i}]`);
      checkKeys(e, new Set(['topic', 'payload_available', 'payload_not_available', 'value_template']), where);
      if (typeof e.topic !== 'string') throw new Error(`${where}: availability[${i}].topic required`);
      return {
        topic: e.topic,
        payloadAvailable: (e.payload_available as string) ?? 'online',
        payloadNotAvailable: (e.payload_not_available as string) ?? 'offline',
      };
    });
    if (root.availability_topic) {
      availability.push({
        topic: root.availability_topic as string,
        payloadAvailable: (root.payload_available as string) ?? 'online',
        payloadNotAvailable: (root.payload_not_available as string) ?? 'offline',
      });
    }
    entities.push({
      platform: platform as HaEntity['platform'],
      ...(platform === 'button'
        ? { commandTopic: c.command_topic as string, payloadPress: (c.payload_press as string) ?? 'PRESS' }
        : {}),
      ...(platform === 'event' ? { eventTypes: c.event_types as string[] } : {}),
      ...(platform === 'number'
        ? {
            commandTopic: c.command_topic as string,
            commandTemplate: c.command_template as string | undefined,
            min: (c.min as number) ?? 1,
            max: (c.max as number) ?? 100,
          }
        : {}),
      uniqueId: c.unique_id,
      name: (c.name as string) ?? cid,
      deviceClass: dc,
      stateClass: c.state_class as string | undefined,
      unit: c.unit_of_measurement as string | undefined,
      entityCategory: c.entity_category as string | undefined,
      ...(typeof c.expire_after === 'number' ? { expireAfter: c.expire_after } : {}),
      stateTopic,
      valueTemplate: c.value_template as string | undefined,
      payloadOn: (c.payload_on as string) ?? 'ON',
      payloadOff: (c.payload_off as string) ?? 'OFF',
      availability,
      availabilityMode: (c.availability_mode ??
        root.availability_mode ??
        'latest') as HaEntity['availabilityMode'],
      device: { ...(device as unknown as HaDevice), identifiers },
      origin: origin as HaEntity['origin'],
    });
  }
  return entities;
}

/** What HA publishes when a user sets a number entity to `value`: its command template with `value` in it. */
export function numberCommand(entity: HaEntity, value: number): string {
  if (value < entity.min! || value > entity.max!)
    throw new Error(`${value} is outside ${entity.min}..${entity.max}`);
  const template = entity.commandTemplate ?? '{{ value }}';
  const rest = template.replaceAll('{{ value }}', '');
  if (rest === template || rest.includes('{{') || rest.includes('{%'))
    throw new Error(`command template not understood by the test consumer: ${template}`);
  return template.replaceAll('{{ value }}', String(value));
}

/**
 * The two template shapes tinygate emits: `{{ value_json[...]... }}` and
 * `{{ 'A' if value_json[...] else 'B' }}`. Anything else throws, so a template change cannot slip by.
 */
export function renderTemplate(template: string, payload: string): string {
  const value = JSON.parse(payload) as unknown;
  const lit = `'((?:[^'\\\\]|\\\\.)*)'`;
  const path = `value_json((?:\\[${lit}\\])+)`;
  const cond = new RegExp(`^\\{\\{\\s*${lit}\\s+if\\s+${path}\\s+else\\s+${lit}\\s*\\}\\}$`).exec(template);
  if (cond)
    return truthy(lookup(value, cond[2]!)) ? unescapeJinja(cond[1]!) : unescapeJinja(cond[cond.length - 1]!);
  const plain = new RegExp(`^\\{\\{\\s*${path}\\s*\\}\\}$`).exec(template);
  if (plain) return pyStr(lookup(value, plain[1]!));
  throw new Error(`template not understood by the test consumer: ${template}`);
}

function unescapeJinja(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function lookup(value: unknown, subscripts: string): unknown {
  let v = value;
  for (const m of subscripts.matchAll(/\['((?:[^'\\]|\\.)*)'\]/g)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[unescapeJinja(m[1]!)];
  }
  return v;
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

/** Jinja renders Python values: True/False, numbers as Python prints them. */
function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === undefined) throw new Error('template refers to a missing key');
  if (v === null) return 'None';
  return String(v);
}

/** An entity's state from the latest message on each topic, or "unavailable"/"unknown" as HA shows it. */
export function entityState(e: HaEntity, latest: Map<string, string>): string {
  if (e.availability.length > 0) {
    const ok = e.availability.map((a) => latest.get(a.topic) === a.payloadAvailable);
    const available = e.availabilityMode === 'all' ? ok.every(Boolean) : ok.some(Boolean);
    if (!available) return 'unavailable';
  }
  // A button has no state of its own (HA shows when it was last pressed).
  if (e.platform === 'button') return 'unknown';
  if (e.platform === 'event') return String(lastEvent(e, latest)?.event_type ?? 'unknown');
  const payload = latest.get(e.stateTopic);
  if (payload === undefined) return 'unknown';
  const rendered = e.valueTemplate ? renderTemplate(e.valueTemplate, payload) : payload;
  // HA's MQTT sensor takes a rendered "None" as no value: the state is unknown.
  if (e.platform === 'sensor' && rendered === 'None') return 'unknown';
  if (e.platform === 'binary_sensor') {
    if (rendered === e.payloadOn) return 'on';
    if (rendered === e.payloadOff) return 'off';
    return 'unknown';
  }
  return rendered;
}

/**
 * An event entity's last event as HA fires it: the payload must be a JSON object whose `event_type` is one
 * of the entity's event types (HA logs and drops anything else); the other keys become its attributes.
 */
export function lastEvent(e: HaEntity, latest: Map<string, string>): Record<string, unknown> | null {
  const payload = latest.get(e.stateTopic);
  if (payload === undefined) return null;
  const doc = JSON.parse(payload) as Record<string, unknown>;
  if (typeof doc.event_type !== 'string' || !e.eventTypes?.includes(doc.event_type)) {
    throw new Error(
      `${e.uniqueId}: event_type ${String(doc.event_type)} is not one of ${e.eventTypes?.join(', ')}`,
    );
  }
  return doc;
}
