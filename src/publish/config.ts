import { z } from 'zod';

/** MQTT ids (Sparkplug group/edge node, HA prefix) must not contain MQTT wildcards or topic separators. */
const topicToken = z
  .string()
  .min(1)
  .regex(/^[^/+#]+$/, 'must not contain "/", "+" or "#"');

const brokerUrl = z
  .string()
  .refine(
    (s) => /^mqtts?:\/\/[^/]+/.test(s),
    'must be an mqtt:// or mqtts:// URL, e.g. mqtt://192.168.1.10:1883',
  );

/**
 * The `mqtt` section of the gateway config. With no `url`, an embedded broker is started on 127.0.0.1.
 * TLS files (`ca`, `cert`, `key`) are paths to PEM files.
 */
export const mqttConfigSchema = z
  .object({
    url: brokerUrl.optional().describe('broker to publish to; leave out to run the embedded broker'),
    embedded: z
      .object({ port: z.number().int().min(0).max(65535).default(1883) })
      .optional()
      .describe('the embedded broker (used when url is absent); port 0 picks a free port'),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    ca: z.string().min(1).optional().describe('PEM file of the CA that signed the broker certificate'),
    cert: z.string().min(1).optional().describe('PEM client certificate for mutual TLS'),
    key: z.string().min(1).optional().describe('PEM private key of the client certificate'),
    clientId: z.string().min(1).max(64).optional().describe('default: tinygate-<gateway id>'),
    homeAssistant: z
      .object({
        enabled: z.boolean().default(true),
        prefix: topicToken.default('homeassistant'),
        statusTopic: z
          .string()
          .regex(/^[^+#]+$/, 'must not contain "+" or "#"')
          .default('homeassistant/status')
          .describe(
            "HA's birth/last-will topic (HA setting, independent of the prefix): re-announce on online",
          ),
      })
      .optional(),
    sparkplug: z
      .object({
        enabled: z.boolean().default(false),
        groupId: topicToken,
        edgeNodeId: topicToken,
        primaryHostId: topicToken.optional().describe('wait for this host application to be online'),
        servers: z
          .array(brokerUrl)
          .min(1)
          .optional()
          .describe(
            "brokers for the Sparkplug session, in turn: it starts on the first and moves on at each NCMD 'Node Control/Next Server' (default: url)",
          ),
        dataDatatypes: z
          .boolean()
          .default(true)
          .describe(
            'repeat each metric datatype in DDATA/NDATA (the spec says SHOULD NOT; hosts on the sparkplug-payload decoder, e.g. Node-RED, read values without it as null)',
          ),
      })
      .optional(),
    journal: z.object({
      path: z.string().min(1).describe('folder that keeps alerts until the broker acknowledges them'),
      maxBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(16 * 1024 * 1024),
    }),
    reconnect: z
      .object({
        minMs: z.number().int().positive().default(1000),
        maxMs: z.number().int().positive().default(30_000),
      })
      .default({ minMs: 1000, maxMs: 30_000 })
      .describe('retry delays after a failed or lost connection: doubling from minMs up to maxMs'),
    maxInflight: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(100)
      .describe('alerts published but not yet acknowledged (lowered to the broker receive maximum)'),
  })
  .superRefine((c, ctx) => {
    if (c.url && c.embedded) {
      ctx.addIssue({
        code: 'custom',
        path: ['embedded'],
        message: 'set either url (an external broker) or embedded (the built-in broker), not both',
      });
    }
    if ((c.cert === undefined) !== (c.key === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cert'],
        message: 'cert and key go together: set both or neither',
      });
    }
    if (c.url?.startsWith('mqtt://') && (c.ca || c.cert)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'ca/cert/key need an mqtts:// url' });
    }
    if (c.reconnect.minMs > c.reconnect.maxMs) {
      ctx.addIssue({ code: 'custom', path: ['reconnect', 'minMs'], message: 'must not exceed maxMs' });
    }
  });

/** The config as written by a user (defaults optional). */
export type MqttConfigInput = z.input<typeof mqttConfigSchema>;
/** The config after validation (defaults filled in). */
export type MqttConfig = z.output<typeof mqttConfigSchema>;
