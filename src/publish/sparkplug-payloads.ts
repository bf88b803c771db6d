import { createRequire } from 'node:module';
import type sparkplugPayload from 'sparkplug-payload';
import type { TypeStr, UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { Alert } from '../detect/alert.js';
import type { BoardInfo, BoardState } from './types.js';

/** Sparkplug B 3.0 topic namespace. */
export const NAMESPACE = 'spBv1.0';
export const REBIRTH_METRIC = 'Node Control/Rebirth';
/** NCMD true: end this session (NDEATH) and connect to the next server of `sparkplug.servers`. */
export const NEXT_SERVER_METRIC = 'Node Control/Next Server';
/** The one writable device metric: a host writes true to make the board learn its normal afresh. */
export const RELEARN_METRIC = 'Device Control/Relearn';
/** Writable too: true acknowledges the board's latest machine alarm. */
export const ACKNOWLEDGE_METRIC = 'Device Control/Acknowledge';
export const BDSEQ_METRIC = 'bdSeq';
/**
 * A metric's quality as a `Quality` property (Int32), in Ignition 8's codes, which Cirrus Link's MQTT Engine
 * reads (a metric without one is Good): Good 192, Bad 0x80000200 (as a signed Int32, -2147483136).
 */
export const QUALITY_PROPERTY = 'Quality';
export const QUALITY_GOOD = 192;
export const QUALITY_BAD = 0x80000200 | 0;

/** The board's anomaly threshold, writable: a host's DCMD sets the operator's threshold. */
export const THRESHOLD_METRIC = 'Threshold';

// sparkplug-payload (protobufjs) loads on first use: only a gateway with Sparkplug enabled pays for it.
let loaded: ReturnType<typeof sparkplugPayload.get> | undefined;
function codec(): NonNullable<typeof loaded> {
  loaded ??= (createRequire(import.meta.url)('sparkplug-payload') as typeof sparkplugPayload).get(NAMESPACE)!;
  return loaded;
}

export function encodePayload(payload: UPayload): Buffer {
  return Buffer.from(codec().encodePayload(payload));
}

export function decodePayload(bytes: Uint8Array): UPayload {
  return codec().decodePayload(bytes);
}

export interface SparkplugTopics {
  nbirth: string;
  ndeath: string;
  ncmd: string;
  ndata: string;
  /** Subscription filter for every device's DCMD. */
  dcmdAll: string;
  dbirth(device: string): string;
  ddata(device: string): string;
  ddeath(device: string): string;
  state(hostId: string): string;
  /** A Sparkplug 2.2 host's STATE: outside the namespace, payload ONLINE or OFFLINE. */
  legacyState(hostId: string): string;
}

export function sparkplugTopics(groupId: string, edgeNodeId: string): SparkplugTopics {
  const node = (verb: string) => `${NAMESPACE}/${groupId}/${verb}/${edgeNodeId}`;
  return {
    nbirth: node('NBIRTH'),
    ndeath: node('NDEATH'),
    ncmd: node('NCMD'),
    ndata: node('NDATA'),
    dcmdAll: `${node('DCMD')}/+`,
    dbirth: (d) => `${node('DBIRTH')}/${d}`,
    ddata: (d) => `${node('DDATA')}/${d}`,
    ddeath: (d) => `${node('DDEATH')}/${d}`,
    state: (h) => `${NAMESPACE}/STATE/${h}`,
    legacyState: (h) => `STATE/${h}`,
  };
}

/** Aliases unique across the whole edge node, stable for the life of the process (rebirths reuse them). */
export class AliasTable {
  private readonly map = new Map<string, number>();
  private next = 1;

  alias(device: string | null, name: string): number {
    const key = `${device ?? ''}\u0000${name}`;
    let a = this.map.get(key);
    if (a === undefined) {
      a = this.next++;
      this.map.set(key, a);
    }
    return a;
  }

  /** The name a host wrote by alias (DCMD), or undefined for an alias this node never gave. */
  nameOf(device: string | null, alias: number): string | undefined {
    const prefix = `${device ?? ''}\u0000`;
    for (const [key, a] of this.map)
      if (a === alias && key.startsWith(prefix)) return key.slice(prefix.length);
    return undefined;
  }
}

interface MetricDef {
  name: string;
  type: TypeStr;
  value: UMetric['value'];
  properties?: UMetric['properties'];
  /** Commanded by name (a host need not know our aliases to write it). */
  noAlias?: boolean;
}

/**
 * A sensor's metric name. Ignition's MQTT Engine takes a metric name as a tag path: folders split by `/`, and
 * a tag name of letters, digits, spaces and `_ - ' : ( )` only, so `vib.x` becomes `Sensors/vib_x`.
 */
export function sensorMetricName(sensor: string): string {
  return `Sensors/${sensor.replace(/[^A-Za-z0-9 _\-'():]/g, '_')}`;
}

/**
 * Every metric a board (Sparkplug device) will ever report, with its current value (null when unknown):
 * a birth carries the latest state and the latest alert, so a host that rebirths the node loses neither.
 */
export function boardMetricDefs(
  board: BoardInfo,
  state: BoardState | undefined,
  lastAlert: Alert | undefined = undefined,
): MetricDef[] {
  const defs: MetricDef[] = [
    { name: 'Anomaly', type: 'Boolean', value: state ? state.anomaly : null },
    { name: 'Score', type: 'Double', value: state ? state.score : null },
    { name: THRESHOLD_METRIC, type: 'Double', value: state ? state.threshold : null },
    { name: 'Alert/Acknowledged', type: 'Boolean', value: state?.acknowledged ?? null },
  ];
  for (const s of board.sensors) {
    const bad = state?.faultySensors?.includes(s.name) === true;
    const properties: UMetric['properties'] = {
      ...(s.unit ? { engUnit: { type: 'String', value: s.unit } } : {}),
      ...(bad ? { [QUALITY_PROPERTY]: { type: 'Int32', value: QUALITY_BAD } } : {}),
    };
    defs.push({
      name: sensorMetricName(s.name),
      type: 'Double',
      value: state?.sensors[s.name] ?? null,
      ...(Object.keys(properties).length ? { properties } : {}),
    });
  }
  if (lastAlert)
    for (const [name, type, value] of alertMetricValues(lastAlert)) defs.push({ name, type, value });
  else for (const [name, type] of ALERT_METRICS) defs.push({ name, type, value: null });
  defs.push({ name: RELEARN_METRIC, type: 'Boolean', value: false, noAlias: true });
  defs.push({ name: ACKNOWLEDGE_METRIC, type: 'Boolean', value: false, noAlias: true });
  return defs;
}

const ALERT_METRICS: [string, TypeStr][] = [
  ['Alert/Id', 'String'],
  ['Alert/Sensor', 'String'],
  ['Alert/Kind', 'String'],
  ['Alert/Score', 'Double'],
  ['Alert/Threshold', 'Double'],
  ['Alert/Message', 'String'],
];

/** A sensor's quality in this state: bad while it is in a sensor alarm. */
export function sensorQuality(state: BoardState, sensor: string): number {
  return state.faultySensors?.includes(sensor) ? QUALITY_BAD : QUALITY_GOOD;
}

/** The state metrics (name → value) that DDATA compares against what was last sent. */
export function stateMetricValues(
  board: BoardInfo,
  state: BoardState,
): [string, TypeStr, number | boolean][] {
  const out: [string, TypeStr, number | boolean][] = [
    ['Anomaly', 'Boolean', state.anomaly],
    ...(state.score === null ? [] : [['Score', 'Double', state.score] as [string, TypeStr, number]]),
    [THRESHOLD_METRIC, 'Double', state.threshold],
    ...(typeof state.acknowledged === 'boolean'
      ? [['Alert/Acknowledged', 'Boolean', state.acknowledged] as [string, TypeStr, boolean]]
      : []),
  ];
  for (const s of board.sensors) {
    const v = state.sensors[s.name];
    if (typeof v === 'number') out.push([sensorMetricName(s.name), 'Double', v]);
  }
  return out;
}

export function alertMetricValues(alert: Alert): [string, TypeStr, string | number][] {
  return [
    ['Alert/Id', 'String', alert.id],
    ['Alert/Sensor', 'String', alert.sensor],
    ['Alert/Kind', 'String', alert.kind],
    ['Alert/Score', 'Double', alert.score],
    ['Alert/Threshold', 'Double', alert.threshold],
    ['Alert/Message', 'String', alert.message ?? ''],
  ];
}

/** NDEATH: only the bdSeq (Int64) of the session it ends; no seq. Used as the MQTT will. */
export function ndeathPayload(bdSeq: number, now: number): Buffer {
  return encodePayload({
    timestamp: now,
    metrics: [{ name: BDSEQ_METRIC, type: 'Int64', value: bdSeq, timestamp: now }],
  });
}
