// Re-learning on command, end to end: a host-firmware board (the C firmware-bridge on a pty, inference on
// the board) is told over a real mosquitto to learn its normal; the new version is flashed and scores the
// board's windows; a rollback over MQTT puts the configured model back on the board; and once the machine
// is in alarm a learn command is refused with the reason.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert/index.js';
import { FloatAutoencoderScorer } from '../../src/detect/float-scorer.js';
import { int8Description, loadSidecar, MODEL_FILES, windowRecording } from '../../src/detect/index.js';
import { trainModel } from '../../src/detect/train.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { buildHostFirmware, crc32 } from '../../src/link/index.js';
import { parseScenario, scenarioRecording } from '../../src/sim/index.js';
import { waitFor } from '../helpers/wait.js';
import { haveMosquitto, type Mosquitto, startMosquitto } from '../publish/mosquitto.js';

const SENSORS = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];
const CHANNELS = ['vib.x', 'vib.y', 'vib.z'];
/** The machine runs normally, then its bearing fails: learning must be done long before. */
const FAULT_ONSET_S = 75;

describe.skipIf(!haveMosquitto())('re-learning a board over MQTT', () => {
  let broker: Mosquitto;
  let dir: string;
  let modelDir: string;
  beforeAll(async () => {
    broker = await startMosquitto();
    await buildHostFirmware();
    dir = mkdtempSync(join(tmpdir(), 'tg-relearn-'));
    // A small configured model with short windows (8 a second at 1 kHz), so learning takes seconds here.
    modelDir = join(dir, 'configured');
    const data = scenarioRecording(
      parseScenario({ name: 'train', seed: 5, durationS: 120, sensors: SENSORS }),
      CHANNELS,
    );
    await trainModel({ data, out: modelDir, channels: CHANNELS, window: 256, hop: 128, epochs: 40 });
    const float = await FloatAutoencoderScorer.fromDir(modelDir);
    const { sidecar } = loadSidecar(modelDir);
    const calib = windowRecording(data.recording, sidecar.features, sidecar.checks).features.map((f) =>
      float.normalize(f),
    );
    float.dispose();
    const c = await convertModel({
      model: modelDir,
      calib: 'training',
      calibSamples: calib,
      description: int8Description(sidecar),
    });
    writeFileSync(join(modelDir, MODEL_FILES.int8), c.bytes);
    writeFileSync(
      join(dir, 'press.yaml'),
      `name: press\nseed: 9\ndurationS: 3600\nfaults:\n  - { kind: bearing-outer-race, onsetS: ${FAULT_ONSET_S}, rampS: 5, severity: severe }\n`,
    );
  }, 240_000);
  afterAll(async () => broker?.dispose());

  it('learns, flashes and scores a new version; rolls back; refuses to learn in alarm; an operator threshold clears the alarm', async () => {
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir: join(dir, 'data') },
      boards: [
        {
          id: 'press',
          profile: 'virtual-host',
          virtual: { scenario: join(dir, 'press.yaml'), firmware: 'host' },
          samplingRateHz: 1000,
          sensors: SENSORS,
          model: modelDir,
          inference: 'board',
        },
      ],
      mqtt: { url: broker.url, username: broker.username, password: broker.password },
      dashboard: { enabled: false },
    });
    const gateway = await Gateway.start({ config, baseDir: dir });
    const client = mqtt.connect(broker.url, { username: broker.username, password: broker.password });
    const results: Record<string, unknown>[] = [];
    try {
      await new Promise<void>((resolve) => client.on('connect', () => resolve()));
      await client.subscribeAsync('tinygate/plant/press/cmd/result', { qos: 1 });
      client.on('message', (_t, p) => results.push(JSON.parse(p.toString())));
      const press = () => gateway.status().boards[0]!;
      const configuredCrc = crc32(new Uint8Array(readFileSync(join(modelDir, MODEL_FILES.int8))));
      await waitFor(
        'the board scoring with the configured model',
        () => (press().boardInference?.onBoard ?? 0) > 5,
        30_000,
      );
      expect(press().deployment).toMatchObject({ crc32: configuredCrc });
      expect(press().learning).toMatchObject({ state: 'watching', version: null });

      // Learn: collecting, then training in the worker, then version 1 flashed and in force.
      await client.publishAsync('tinygate/plant/press/cmd/learn', JSON.stringify({ id: 'a' }), { qos: 1 });
      await waitFor('the learn command answer', () => results.some((r) => r.id === 'a'), 10_000);
      expect(results.find((r) => r.id === 'a')).toMatchObject({
        command: 'learn',
        ok: true,
        result: { state: 'learning' },
      });
      await waitFor(
        'version 1 in force',
        () => press().learning?.version === 1 && press().model?.id === 'press-v1',
        FAULT_ONSET_S * 1000,
      );
      const v1 = gateway.models('press')[0]!;
      expect(v1).toMatchObject({ version: 1, active: true, gate: { passed: true } });
      const v1Crc = crc32(new Uint8Array(readFileSync(join(v1.dir, MODEL_FILES.int8))));
      expect(press().deployment).toMatchObject({ crc32: v1Crc, flashed: true });
      const onBoard = press().boardInference!.onBoard;
      await waitFor(
        'more windows scored on the board',
        () => press().boardInference!.onBoard > onBoard + 5,
        10_000,
      );
      expect(press().boardInference!.lastOn).toBe('board');

      // Roll back: the configured model goes back on the board and scores again.
      await client.publishAsync('tinygate/plant/press/cmd/rollback', JSON.stringify({ id: 'b' }), { qos: 1 });
      await waitFor('the rollback answer', () => results.some((r) => r.id === 'b'), 20_000);
      expect(results.find((r) => r.id === 'b')).toMatchObject({ ok: true, result: { version: 0 } });
      expect(press().deployment).toMatchObject({ crc32: configuredCrc, flashed: true });
      expect(press().model?.id).toBe('configured');
      expect(gateway.models('press')[0]!.active).toBe(false);

      // The bearing fails: a machine alarm; learning now would learn the fault, so it is refused.
      await waitFor(
        'a machine alert',
        () => gateway.status().alerts.recent.some((a) => a.kind === 'machine'),
        (FAULT_ONSET_S + 30) * 1000,
      );
      await client.publishAsync('tinygate/plant/press/cmd/learn', JSON.stringify({ id: 'c' }), { qos: 1 });
      await waitFor('the refused learn answer', () => results.some((r) => r.id === 'c'), 10_000);
      expect(results.find((r) => r.id === 'c')).toMatchObject({
        ok: false,
        error: {
          code: 'LEARN_IN_ALARM',
          message: expect.stringMatching(/in a machine alarm.*teach the developing fault/),
        },
      });
      expect(press().learning?.state).toBe('watching');

      // The operator acknowledges the alarm (Home Assistant's button, a host's DCMD or this command).
      await client.publishAsync('tinygate/plant/press/cmd/ack', JSON.stringify({ id: 'e' }), { qos: 1 });
      await waitFor('the ack answer', () => results.some((r) => r.id === 'e'), 10_000);
      const machineAlert = gateway
        .status()
        .alerts.recent.filter((a) => a.kind === 'machine')
        .at(-1)!;
      expect(results.find((r) => r.id === 'e')).toMatchObject({
        ok: true,
        result: { alertId: machineAlert.id, acknowledged: true },
      });
      expect(press().acknowledged).toBe(true);

      // The operator raises the threshold far above the failing bearing's scores: the alarm clears by the
      // detector's own hysteresis, and the state reports the operator's threshold.
      await client.publishAsync(
        'tinygate/plant/press/cmd/threshold',
        JSON.stringify({ id: 'f', value: 'high' }),
        {
          qos: 1,
        },
      );
      await waitFor('the refused threshold answer', () => results.some((r) => r.id === 'f'), 10_000);
      expect(results.find((r) => r.id === 'f')).toMatchObject({
        ok: false,
        error: { code: 'THRESHOLD_INVALID' },
      });
      expect(press().anomaly).toBe(true);
      const raised = Math.max(press().score ?? 0, press().threshold) * 1000;
      await client.publishAsync(
        'tinygate/plant/press/cmd/threshold',
        JSON.stringify({ id: 'g', value: raised }),
        {
          qos: 1,
        },
      );
      await waitFor('the threshold answer', () => results.some((r) => r.id === 'g'), 10_000);
      expect(results.find((r) => r.id === 'g')).toMatchObject({ ok: true, result: { threshold: raised } });
      expect(press().threshold).toBe(raised);
      await waitFor(
        'the alarm cleared under the operator threshold',
        () => press().anomaly === false,
        20_000,
      );

      // Restart (Home Assistant's Restart connection button): the link drops and comes back, streaming.
      const reconnects = gateway.runners[0]!.session.reconnects;
      await client.publishAsync('tinygate/plant/press/cmd/restart', JSON.stringify({ id: 'd' }), { qos: 1 });
      await waitFor('the restart answer', () => results.some((r) => r.id === 'd'), 10_000);
      expect(results.find((r) => r.id === 'd')).toMatchObject({
        ok: true,
        result: { board: 'press', state: 'lost' },
      });
      await waitFor('streaming again', () => press().state === 'streaming', 20_000);
      expect(gateway.runners[0]!.session.reconnects).toBe(reconnects + 1);
    } finally {
      await client.endAsync();
      await gateway.stop();
    }
  }, 240_000);
});
