// The README's example gateway.yaml is what users copy: it must stay a valid config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../src/gateway/index.js';
import { ROOT } from '../helpers/cli.js';

describe('README example gateway.yaml', () => {
  it('parses with the config schema', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Real boards and a real broker'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml, 'a yaml block under "Real boards and a real broker"').toBeDefined();
    const config = parseGatewayConfig(yaml!, 'README.md');
    expect(config.boards[0]).toMatchObject({ profile: 'arduino-nano-33-ble-sense', port: '/dev/ttyACM0' });
    expect(config.mqtt?.url).toMatch(/^mqtts?:\/\//);
    expect(config.mqtt?.journal.path).toBe('/var/lib/tinygate/journal');
  });
});
