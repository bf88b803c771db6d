import { TinygateError } from '../errors/index.js';

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** MQTT 3.1.1 CONNACK return codes and MQTT 5 reason codes that mean "bad credentials" / "not allowed". */
const BAD_CREDENTIALS = new Set([4, 134]);
const NOT_AUTHORIZED = new Set([5, 135]);
/** The broker does not speak the protocol version we asked for (3.1.1: 1, MQTT 5: 132). */
export const UNSUPPORTED_PROTOCOL = new Set([1, 132]);

/**
 * Turn whatever mqtt.js or the socket reported into one sentence a user can act on.
 * The publisher keeps alerts in the journal and retries regardless; this only explains why it waits.
 */
export function describeConnectionError(url: string, err: unknown, username?: string): TinygateError {
  const e = err as Error & { code?: string | number };
  const code = e?.code;
  const at = `MQTT broker ${url}`;
  if (typeof code === 'number' && BAD_CREDENTIALS.has(code)) {
    return new TinygateError(
      'MQTT_AUTH',
      `${at} rejected the username or password${username ? ` (user "${username}")` : ' (none was set)'}`,
      {
        hint: 'Check mqtt.username and mqtt.password; alerts stay in the journal and are sent once it connects.',
        cause: err,
      },
    );
  }
  if (typeof code === 'number' && NOT_AUTHORIZED.has(code)) {
    // mosquitto answers a wrong password with "not authorized" rather than "bad username or password".
    return new TinygateError(
      'MQTT_AUTH',
      `${at} refused the connection as not authorized${username ? ` (user "${username}")` : ' (no username set)'}: wrong username or password, or no permission to connect`,
      {
        hint: 'Check mqtt.username and mqtt.password (and the broker ACL); alerts stay in the journal and are sent once it connects.',
        cause: err,
      },
    );
  }
  if (typeof code === 'string' && TLS_TRUST_CODES.has(code)) {
    return new TinygateError('MQTT_TLS', `${at}: the broker certificate is not trusted (${code})`, {
      hint: 'Set mqtt.ca to the PEM file of the CA that signed the broker certificate.',
      cause: err,
    });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new TinygateError('MQTT_TLS', `${at}: the broker certificate is for another host name`, {
      hint: 'Use the host name the certificate was issued for in mqtt.url.',
      cause: err,
    });
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new TinygateError('MQTT_TLS', `${at}: the broker certificate is expired or not yet valid`, {
      hint: 'Renew the broker certificate, or check the gateway clock (timedatectl).',
      cause: err,
    });
  }
  if (typeof code === 'string' && /^(ERR_SSL|ERR_TLS|EPROTO)/.test(code)) {
    return new TinygateError('MQTT_TLS', `${at}: TLS handshake failed (${e.message})`, {
      hint: 'Check that the port speaks TLS (mqtts://, usually 8883) and that mqtt.cert/mqtt.key are accepted by the broker.',
      cause: err,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new TinygateError('MQTT_UNREACHABLE', `${at} refused the connection (nothing listening there?)`, {
      hint: 'Start the broker or fix mqtt.url; alerts stay in the journal and are sent once it connects.',
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TinygateError('MQTT_UNREACHABLE', `${at}: host name not found`, {
      hint: 'Fix the host in mqtt.url or the gateway DNS settings.',
      cause: err,
    });
  }
  if (
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    /timeout/i.test(e?.message ?? '')
  ) {
    return new TinygateError('MQTT_UNREACHABLE', `${at} did not answer (${e?.message ?? code})`, {
      hint: 'Check the network path and firewall to the broker; alerts stay in the journal meanwhile.',
      cause: err,
    });
  }
  if (typeof code === 'number') {
    return new TinygateError('MQTT_REFUSED', `${at} refused the connection: ${e.message}`, {
      hint: 'See the broker log for why; alerts stay in the journal meanwhile.',
      cause: err,
    });
  }
  return new TinygateError('MQTT_CONNECTION', `${at}: ${e?.message ?? String(err)}`, {
    hint: 'Alerts stay in the journal; tinygate keeps retrying with backoff.',
    cause: err,
  });
}
