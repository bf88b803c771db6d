import { createHash } from 'node:crypto';
import { haMeasurement } from './ha-units.js';
import { ALERT_EVENT_TYPES, OFFLINE, ONLINE } from './payloads.js';
import { haSafeId, type Topics } from './topics.js';
import type { BoardInfo } from './types.js';

/**
 * Home Assistant MQTT device-based discovery (HA 2024.11+): one retained message per device on
 * `<prefix>/device/<object_id>/config` with the device (`dev`), origin (`o`) and its entities (`cmps`,
 * each with a platform `p` and a `uniq_id`). Keys use HA's documented abbreviations.
 */
export interface HaContext {
  prefix: string;
  /** HA publishes `online` here when it (re)starts: devices must announce themselves again. */
  statusTopic: string;
  gateway: string;
  topics: Topics;
  /** tinygate version, reported as the origin and gateway software version. */
  version: string;
  /** The dashboard, as HA's "Visit" link on every device (set once it listens). */
  configurationUrl?: string;
  /** Seconds after which HA shows a board's readings as unknown when no state came (it streams no more). */
  expireAfterS?: number;
}

export interface Discovery {
  topic: string;
  payload: Record<string, unknown>;
}

export function gatewayDeviceId(gateway: string): string {
  return `tinygate_${haIdPart(gateway)}`;
}

export function boardDeviceId(gateway: string, board: string): string {
  return `tinygate_${haIdPart(gateway)}_${haIdPart(board)}`;
}

// An id of letters, digits and '-' is used as it is; any other also gets a hash of itself, so no two gateway
// and board pairs share an HA id (plain `_` joining made gateway `line_x` and gateway `line` + board `x` one).
function haIdPart(id: string): string {
  if (/^[A-Za-z0-9-]+$/.test(id)) return id;
  return `${haSafeId(id)}_${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}

/**
 * Whether a retained device discovery is this gateway's: its entities read the gateway's status topic (the
 * gateway's connectivity, every board's availability), whatever device id an older version gave it.
 */
export function isOwnDiscovery(doc: unknown, topics: Topics): boolean {
  return JSON.stringify(doc).includes(JSON.stringify(topics.gatewayStatus));
}

function origin(version: string): Record<string, unknown> {
  return { name: 'tinygate', sw: version };
}

export function gatewayDiscovery(ctx: HaContext): Discovery {
  const id = gatewayDeviceId(ctx.gateway);
  return {
    topic: `${ctx.prefix}/device/${id}/config`,
    payload: {
      dev: {
        ids: [id],
        name: `tinygate ${ctx.gateway}`,
        mf: 'tinygate',
        mdl: 'gateway',
        sw: ctx.version,
        ...(ctx.configurationUrl ? { cu: ctx.configurationUrl } : {}),
      },
      o: origin(ctx.version),
      cmps: {
        connectivity: {
          p: 'binary_sensor',
          name: 'Connected',
          uniq_id: `${id}_connectivity`,
          dev_cla: 'connectivity',
          ent_cat: 'diagnostic',
          stat_t: ctx.topics.gatewayStatus,
          pl_on: ONLINE,
          pl_off: OFFLINE,
          qos: 1,
        },
        uptime: {
          p: 'sensor',
          name: 'Uptime',
          uniq_id: `${id}_uptime`,
          dev_cla: 'duration',
          unit_of_meas: 's',
          ent_cat: 'diagnostic',
          stat_t: ctx.topics.gatewayDiagnostics,
          val_tpl: "{{ value_json['uptimeS'] }}",
          qos: 1,
        },
        unsent_alerts: {
          p: 'sensor',
          name: 'Alerts not yet delivered',
          uniq_id: `${id}_unsent_alerts`,
          stat_cla: 'measurement',
          ent_cat: 'diagnostic',
          stat_t: ctx.topics.gatewayDiagnostics,
          val_tpl: "{{ value_json['unsentAlerts'] }}",
          qos: 1,
        },
        broker_error: {
          p: 'sensor',
          name: 'Last broker error',
          uniq_id: `${id}_broker_error`,
          ent_cat: 'diagnostic',
          stat_t: ctx.topics.gatewayDiagnostics,
          val_tpl: "{{ value_json['lastBrokerError'] }}",
          qos: 1,
        },
      },
      qos: 1,
    },
  };
}

/** Quote a key for a Jinja string literal inside a value template. */
function jinjaKey(key: string): string {
  return `'${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function boardDiscovery(ctx: HaContext, board: BoardInfo): Discovery {
  const id = boardDeviceId(ctx.gateway, board.id);
  const cmps: Record<string, Record<string, unknown>> = {
    anomaly: {
      p: 'binary_sensor',
      name: 'Anomaly',
      uniq_id: `${id}_anomaly`,
      dev_cla: 'problem',
      val_tpl: "{{ 'ON' if value_json['anomaly'] else 'OFF' }}",
    },
    anomaly_score: {
      p: 'sensor',
      name: 'Anomaly score',
      uniq_id: `${id}_anomaly_score`,
      stat_cla: 'measurement',
      sug_dsp_prc: 3,
      val_tpl: "{{ value_json['score'] }}",
    },
    // Shows the threshold in force and sets the operator's (the `threshold` board command); scores of
    // different models differ by orders of magnitude, hence the wide range.
    anomaly_threshold: {
      p: 'number',
      name: 'Anomaly threshold',
      uniq_id: `${id}_anomaly_threshold`,
      ent_cat: 'config',
      mode: 'box',
      min: 0.001,
      max: 1_000_000,
      step: 0.001,
      val_tpl: "{{ value_json['threshold'] }}",
      cmd_t: ctx.topics.boardCommand(board.id, 'threshold'),
      cmd_tpl: '{"value": {{ value }}, "id": "home-assistant"}',
    },
  };
  // Every alert is an HA event (its payload's event_type is the kind; score, threshold and message come
  // along as attributes): machine faults, sensor faults, data quality and drift, for automations.
  cmps.alert = {
    p: 'event',
    name: 'Alert',
    uniq_id: `${id}_alert`,
    stat_t: ctx.topics.boardAlert(board.id),
    evt_typ: ALERT_EVENT_TYPES,
  };
  if (board.diagnostics) {
    cmps.data_quality_windows = {
      p: 'sensor',
      name: 'Windows lost to data quality',
      uniq_id: `${id}_data_quality_windows`,
      stat_cla: 'total_increasing',
      ent_cat: 'diagnostic',
      val_tpl: "{{ value_json['diagnostics']['dataQualityWindows'] }}",
    };
  }
  if (board.diagnostics && board.infersOnBoard) {
    cmps.inference_time = {
      p: 'sensor',
      name: 'Inference time on the board',
      uniq_id: `${id}_inference_time`,
      unit_of_meas: 'µs',
      stat_cla: 'measurement',
      ent_cat: 'diagnostic',
      val_tpl: "{{ value_json['diagnostics']['inferenceMicros'] }}",
    };
  }
  if (board.learns) {
    cmps.learning = {
      p: 'sensor',
      name: 'Learning',
      uniq_id: `${id}_learning`,
      ent_cat: 'diagnostic',
      val_tpl: "{{ value_json['learning']['state'] }}",
    };
    cmps.learning_progress = {
      p: 'sensor',
      name: 'Learning progress',
      uniq_id: `${id}_learning_progress`,
      ent_cat: 'diagnostic',
      unit_of_meas: '%',
      val_tpl: "{{ value_json['learning']['progressPct'] }}",
    };
    // Pressing it is `tinygate learn <board>`: refused (answer on cmd/result) while the board is in alarm.
    cmps.relearn = {
      p: 'button',
      name: 'Re-learn normal',
      uniq_id: `${id}_relearn`,
      ent_cat: 'config',
      cmd_t: ctx.topics.boardCommand(board.id, 'learn'),
      pl_prs: JSON.stringify({ force: false, id: 'home-assistant' }),
    };
  }
  // ISA-18.2's acknowledgement: the latest machine alarm seen by an operator (unknown before the first).
  cmps.acknowledged = {
    p: 'binary_sensor',
    name: 'Alarm acknowledged',
    uniq_id: `${id}_acknowledged`,
    // Jinja renders true/false/null as True/False/None; HA's binary sensor takes None as unknown.
    val_tpl: "{{ value_json['acknowledged'] }}",
    pl_on: 'True',
    pl_off: 'False',
  };
  cmps.acknowledge = {
    p: 'button',
    name: 'Acknowledge alarm',
    uniq_id: `${id}_acknowledge`,
    cmd_t: ctx.topics.boardCommand(board.id, 'ack'),
    pl_prs: JSON.stringify({ id: 'home-assistant' }),
  };
  // Pressing it is the `restart` board command: the gateway reopens the board's connection.
  cmps.restart = {
    p: 'button',
    name: 'Restart connection',
    uniq_id: `${id}_restart`,
    dev_cla: 'restart',
    ent_cat: 'config',
    cmd_t: ctx.topics.boardCommand(board.id, 'restart'),
    pl_prs: JSON.stringify({ id: 'home-assistant' }),
  };
  for (const s of board.sensors) {
    const key = `sensor_${haSafeId(s.name)}`;
    const m = haMeasurement(s.unit, s.deviceClass);
    cmps[key] = {
      p: 'sensor',
      name: s.label ?? s.name,
      uniq_id: `${id}_${key}`,
      stat_cla: 'measurement',
      val_tpl: `{{ value_json['sensors'][${jinjaKey(s.name)}] }}`,
      ...(m.unit ? { unit_of_meas: m.unit } : {}),
      ...(m.deviceClass ? { dev_cla: m.deviceClass } : {}),
    };
    if (s.rms) {
      cmps[`rms_${haSafeId(s.name)}`] = {
        p: 'sensor',
        name: `${s.label ?? s.name} RMS`,
        uniq_id: `${id}_rms_${haSafeId(s.name)}`,
        stat_cla: 'measurement',
        sug_dsp_prc: 3,
        val_tpl: `{{ value_json['rms'][${jinjaKey(s.name)}] }}`,
        ...(m.unit ? { unit_of_meas: m.unit } : {}),
      };
    }
  }
  // QoS per component too: HA before 2026.5 ignored the device-level one.
  for (const c of Object.values(cmps)) c.qos = 1;
  // Readings of a board that stopped streaming turn unknown instead of showing the last value forever.
  if (ctx.expireAfterS)
    for (const c of Object.values(cmps))
      if (c.p === 'sensor' && c.stat_cla === 'measurement' && !c.stat_t) c.exp_aft = ctx.expireAfterS;
  return {
    topic: `${ctx.prefix}/device/${id}/config`,
    payload: {
      dev: {
        ids: [id],
        name: board.name ?? board.id,
        mf: 'tinygate',
        mdl: board.model ?? 'board',
        ...(board.firmware ? { sw: board.firmware } : {}),
        ...(ctx.configurationUrl ? { cu: ctx.configurationUrl } : {}),
        via_device: gatewayDeviceId(ctx.gateway),
      },
      o: origin(ctx.version),
      avty: [
        { t: ctx.topics.gatewayStatus, pl_avail: ONLINE, pl_not_avail: OFFLINE },
        { t: ctx.topics.boardStatus(board.id), pl_avail: ONLINE, pl_not_avail: OFFLINE },
      ],
      avty_mode: 'all',
      stat_t: ctx.topics.boardState(board.id),
      qos: 1,
      cmps,
    },
  };
}
