import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/publish/backoff.js';
import { describeConnectionError } from '../../src/publish/connection-errors.js';

describe('reconnect backoff', () => {
  it('doubles from minMs up to maxMs and starts over after a success', () => {
    const b = new Backoff(1000, 30_000, () => 0.5); // no jitter at the midpoint
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('spreads retries by ±20 % so a fleet of gateways does not reconnect in step', () => {
    expect(new Backoff(1000, 30_000, () => 0).next()).toBe(800);
    expect(new Backoff(1000, 30_000, () => 0.999999).next()).toBe(1200);
  });
});

describe('connection error messages', () => {
  const url = 'mqtts://broker.local:8883';
  it.each([
    [
      { code: 134, message: 'Connection refused: Bad User Name or Password' },
      'MQTT_AUTH',
      /rejected the username or password \(user "gw"\)/,
    ],
    [{ code: 5, message: 'Connection refused: Not authorized' }, 'MQTT_AUTH', /not authorized \(user "gw"\)/],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'MQTT_UNREACHABLE', /refused the connection/],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }, 'MQTT_UNREACHABLE', /host name not found/],
    [
      { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
      'MQTT_TLS',
      /not trusted/,
    ],
    [
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'Hostname/IP does not match' },
      'MQTT_TLS',
      /another host name/,
    ],
    [{ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'MQTT_TLS', /expired/],
  ])('%o → %s', (err, code, message) => {
    const e = describeConnectionError(url, Object.assign(new Error(err.message), { code: err.code }), 'gw');
    expect(e.code).toBe(code);
    expect(e.message).toContain(url);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });
});
