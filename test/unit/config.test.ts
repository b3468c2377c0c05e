import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, parseDuration } from '../../src/core/config.js';
import { configDocsCurrent } from '../../scripts/config-docs.js';

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const c = defaultConfig();
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

  it('bounds the presence hours remembered: each entry holds a bit per hour', () => {
    expect(loadConfig({ TOPOGRAPH_PRESENCE_HOURS: '8760' }).ingest.presence.hours).toBe(8760);
    expect(() => loadConfig({ TOPOGRAPH_PRESENCE_HOURS: '8761' })).toThrow(/TOPOGRAPH_PRESENCE_HOURS/);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('7 days')).toBeUndefined();
  });
});

describe('the configuration reference', () => {
  it('docs/configuration.md is what `npm run docs:config` writes from the schema', async () => {
    expect(await configDocsCurrent(), 'docs/configuration.md is stale: run `npm run docs:config`').toBe(true);
  });
});
