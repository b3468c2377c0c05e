import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from '../../src/core/config.js';

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.apiPort).toBe(4000);
    expect(c.otlpHttpPort).toBe(4318);
    expect(c.ingest.pairingTtlMs).toBe(10_000);
    expect(c.retentionMs).toBe(7 * 86_400_000);
    // Admission: at most 5 s from acknowledgment to the graph, at most a second of reading waiting.
    expect(c.ingest.maxLagMs).toBe(5000);
    expect(c.ingest.maxUnreadWorkMs).toBe(1000);
    expect(loadConfig({ TOPOGRAPH_INGEST_MAX_UNREAD_WORK: '0s' }).ingest.maxUnreadWorkMs).toBe(0);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ TOPOGRAPH_API_PORT: 'abc', TOPOGRAPH_PAIRING_TTL: 'soon', NEO4J_URI: 'not a url' });
      expect.unreachable('loadConfig accepted a bad environment');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('TOPOGRAPH_API_PORT');
      expect(problems).toContain('TOPOGRAPH_PAIRING_TTL');
      expect(problems).toContain('NEO4J_URI');
    }
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('7 days')).toBeUndefined();
  });
});

describe('the configuration table (docs/configuration.md)', () => {
  it('lists every variable the configuration reads', async () => {
    const { readFileSync } = await import('node:fs');
    const { CONFIG_VARIABLES } = await import('../../src/core/config.js');
    const table = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    // Prettier pads the first column, so a name is followed by any run of spaces before the next cell.
    const missing = CONFIG_VARIABLES.filter((v) => !new RegExp(`^\\| \`${v}\` +\\|`, 'm').test(table));
    expect(missing).toEqual([]);
  });
});
