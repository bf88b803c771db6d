import { hostname } from 'node:os';
import type { Dashboard } from '../dashboard/server.js';
import { Gateway, type GatewayOptions, type GatewayStatus } from '../gateway/index.js';

export interface SessionOptions extends GatewayOptions {
  /** Stop by itself after this many seconds (tests, timed demos); otherwise run until SIGINT/SIGTERM. */
  durationS?: number;
  onStarted?: (gateway: Gateway, dashboard: Dashboard | null) => void;
}

export interface SessionResult {
  stoppedBy: 'signal' | 'duration';
  dashboard: string | null;
  status: GatewayStatus;
}

/** Start the gateway and its dashboard, run until a signal or the duration, then stop cleanly. */
export async function runGatewaySession(o: SessionOptions): Promise<SessionResult> {
  const gateway = await Gateway.start(o);
  let dashboard: Dashboard | null = null;
  try {
    const d = o.config.dashboard;
    if (d.enabled) {
      // fastify loads only when the dashboard is on.
      const { startDashboard } = await import('../dashboard/server.js');
      dashboard = await startDashboard(gateway, { host: d.host, port: d.port });
      // Home Assistant's "Visit" link: a wildcard address is reached through this machine's name.
      const url = new URL(dashboard.url);
      if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = hostname();
      gateway.publisher.setConfigurationUrl(url.toString());
    }
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  o.onStarted?.(gateway, dashboard);

  const stoppedBy = await new Promise<'signal' | 'duration'>((resolve) => {
    const onSignal = () => finish('signal');
    const timer = o.durationS === undefined ? null : setTimeout(() => finish('duration'), o.durationS * 1000);
    function finish(why: 'signal' | 'duration') {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(why);
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // Status before stopping: afterwards every board reads as stopped.
  const status = gateway.status();
  await dashboard?.close();
  await gateway.stop();
  return { stoppedBy, dashboard: dashboard?.url ?? null, status };
}
