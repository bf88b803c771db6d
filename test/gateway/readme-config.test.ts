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
    expect(config.boards[0]).toMatchObject({ profile: 'arduino-mega2560', port: '/dev/ttyACM0' });
    // The example's board is one the firmware-bridge is built for (its bare-register HAL names it).
    const hal = readFileSync(join(ROOT, 'firmware-bridge/hal/arduino/hal_arduino.c'), 'utf8');
    expect(hal).toContain(`#define BOARD_ID "${config.boards[0]!.profile}"`);
    expect(config.mqtt?.url).toMatch(/^mqtts?:\/\//);
    expect(config.mqtt?.journal.path).toBe('/var/lib/tinygate/journal');
  });
});
