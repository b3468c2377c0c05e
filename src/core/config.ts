/**
 * All configuration, in one place: every environment variable, its default and its check.
 * The README's configuration table mirrors this file. `loadConfig` reports every problem at once.
 */
import { z } from 'zod';
import { parseTokens, type AuthSettings } from './auth.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `10s`, `15m`, `24h`, `7d` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 500ms, 10s, 15m, 24h or 7d` });
    return z.NEVER;
  }
  return ms;
});

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export type TagAction = 'keep' | 'drop' | 'hash';
export interface TagRule {
  /** an attribute key, `*` matching any run of characters as in TOPOGRAPH_TAG_KEYS */
  key: string;
  action: TagAction;
}

const tagRules = z.string().transform((text, ctx) => {
  const rules: TagRule[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    const key = entry.slice(0, at).trim();
    const action = entry.slice(at + 1).trim();
    if (at <= 0 || !key || !['keep', 'drop', 'hash'].includes(action)) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not key:keep, key:drop or key:hash` });
      continue;
    }
    rules.push({ key, action: action as TagAction });
  }
  return rules;
});

export const DEFAULT_TAG_KEYS = [
  '*.version',
  'client.*',
  'http.route',
  'owner',
  'team',
  'service.owner',
  'service.team',
  'tenant.id',
  'customer.id',
  'deployment.environment.name',
  'cloud.region',
  'k8s.namespace.name',
];

/** Attributes whose values are recorded as library versions of a service (besides scopes, telemetry.sdk.*, process.runtime.*). */
export const DEFAULT_VERSION_KEYS = [];

const schema = z.object({
  NEO4J_URI: z.string().url().optional(),
  NEO4J_USER: z.string().default('neo4j'),
  NEO4J_PASSWORD: z.string().optional(),
  NEO4J_DATABASE: z.string().default('neo4j'),

  TOPOGRAPH_HOST: z.string().default('127.0.0.1'),
  TOPOGRAPH_API_PORT: port.default(4000),
  TOPOGRAPH_OTLP_HTTP_PORT: port.default(4318),
  TOPOGRAPH_OTLP_GRPC_PORT: port.default(4317),
  TOPOGRAPH_ZIPKIN_PORT: port.default(9411),
  TOPOGRAPH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TOPOGRAPH_FLUSH_INTERVAL: duration.default(1000),
  TOPOGRAPH_PAIRING_TTL: duration.default(10_000),
  TOPOGRAPH_PAIRING_MAX_ENTRIES: positiveInt.default(200_000),
  TOPOGRAPH_MAX_BODY_BYTES: positiveInt.default(16 * 1024 * 1024),
  TOPOGRAPH_SPOOL_DIR: z.string().default('.spool'),
  TOPOGRAPH_SPOOL_MAX_BYTES: positiveInt.default(1024 * 1024 * 1024),
  TOPOGRAPH_SHUTDOWN_TIMEOUT: duration.default(10_000),
  TOPOGRAPH_INGEST_MAX_LAG: duration.default(5000),
  TOPOGRAPH_INGEST_MAX_UNREAD_WORK: duration.default(1000),

  TOPOGRAPH_TAG_KEYS: list.default(DEFAULT_TAG_KEYS),
  TOPOGRAPH_TAG_MAX_VALUES: positiveInt.default(1000),
  TOPOGRAPH_VERSION_KEYS: list.default(DEFAULT_VERSION_KEYS),
  TOPOGRAPH_EXEMPLARS_PER_EDGE: nonNegativeInt.default(5),
  TOPOGRAPH_TRACE_SAMPLES_PER_WINDOW: nonNegativeInt.default(5),
  TOPOGRAPH_TRACE_ERROR_SAMPLES_PER_WINDOW: nonNegativeInt.default(20),
  TOPOGRAPH_TRACE_SAMPLE_WINDOW: duration.default(600_000),
  TOPOGRAPH_TRACE_SAMPLES_PER_OPERATION: positiveInt.default(50),
  TOPOGRAPH_TRACE_SAMPLE_MAX_AGE: duration.default(86_400_000),

  TOPOGRAPH_LIVE_WINDOW: duration.default(24 * 3_600_000),
  TOPOGRAPH_RETENTION: duration.default(7 * 86_400_000),
  TOPOGRAPH_RETENTION_INTERVAL: duration.default(3_600_000),

  TOPOGRAPH_QUERY_TIMEOUT: duration.default(10_000),
  TOPOGRAPH_MAX_DEPTH: positiveInt.max(20).default(10),
  TOPOGRAPH_GRAPHIQL: bool.default(true),

  // Topograph tracing itself (README, "Topograph tracing itself"): off unless asked for.
  TOPOGRAPH_SELF_TRACING: z.enum(['off', 'on']).default('off'),
  TOPOGRAPH_SELF_TRACING_ENDPOINT: z.string().url().optional(),
  TOPOGRAPH_SELF_TRACING_ENVIRONMENT: z.string().default(''),
  TOPOGRAPH_TRACE_URL_TEMPLATE: z
    .string()
    .refine((t) => t.includes('{traceId}'), 'must contain {traceId}, e.g. https://jaeger.example/trace/{traceId}')
    .optional(),

  // Hostile input (README, "Security"): limits on what one OTLP request may hold.
  TOPOGRAPH_MAX_DECOMPRESSED_BYTES: positiveInt.default(64 * 1024 * 1024),
  TOPOGRAPH_MAX_DECOMPRESSION_RATIO: positiveInt.default(100),
  TOPOGRAPH_MAX_SPANS_PER_REQUEST: positiveInt.default(50_000),
  TOPOGRAPH_MAX_ATTRIBUTES_PER_SPAN: positiveInt.default(128),
  TOPOGRAPH_MAX_ATTRIBUTE_VALUE_LENGTH: positiveInt.default(4096),
  TOPOGRAPH_MAX_ATTRIBUTE_DEPTH: positiveInt.max(32).default(8),
  TOPOGRAPH_MAX_SPAN_DURATION: duration.default(7 * 86_400_000),
  TOPOGRAPH_TAG_RULES: tagRules.default([]),
  TOPOGRAPH_TAG_HASH_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),

  // GraphQL limits; depth, breadth and cost are the Pothos complexity plugin's.
  TOPOGRAPH_MAX_QUERY_DEPTH: positiveInt.default(15),
  TOPOGRAPH_MAX_QUERY_COMPLEXITY: positiveInt.default(5000),
  TOPOGRAPH_MAX_QUERY_BREADTH: positiveInt.default(200),
  TOPOGRAPH_MAX_ALIASES: positiveInt.default(30),
  TOPOGRAPH_MAX_DIRECTIVES: positiveInt.default(20),
  TOPOGRAPH_MAX_QUERY_TOKENS: positiveInt.default(5000),
  TOPOGRAPH_MAX_REQUEST_BYTES: positiveInt.default(1024 * 1024),
  TOPOGRAPH_INTROSPECTION: bool.default(true),
  TOPOGRAPH_CORS_ORIGINS: list.default([]),

  // Access: unset means on when tokens are configured, off on a loopback host, refused otherwise.
  TOPOGRAPH_AUTH: z.enum(['on', 'off']).optional(),
  TOPOGRAPH_TOKENS: z.string().optional(),
});

export type RawConfig = z.output<typeof schema>;

/** Every variable the schema reads: the README's configuration table must list each of them. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export interface Config {
  neo4j: { uri?: string; user: string; password?: string; database: string };
  host: string;
  apiPort: number;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  zipkinPort: number;
  logLevel: RawConfig['TOPOGRAPH_LOG_LEVEL'];
  /** OTLP/HTTP export of the processes' own spans; the endpoint defaults to this worker's own receiver */
  selfTracing: { enabled: boolean; endpoint: string; environment: string };
  ingest: {
    flushIntervalMs: number;
    pairingTtlMs: number;
    pairingMaxEntries: number;
    maxBodyBytes: number;
    /** where accepted requests are kept until their facts are written (ingest/spool) */
    spoolDir: string;
    spoolMaxBytes: number;
    /** how long SIGTERM waits for the spool to drain into Neo4j */
    shutdownTimeoutMs: number;
    /** how long an acknowledged request may wait to be written (Neo4j up) before requests get 429; 0 = unbounded */
    maxLagMs: number;
    /** with maxLagMs: how much reading (measured pace × unread spans) may wait before new requests are held, then refused */
    maxUnreadWorkMs: number;
    tagKeys: string[];
    tagMaxValues: number;
    versionKeys: string[];
    exemplarsPerEdge: number;
    /** which traces keep their skeleton (ingest/trace-sampling.ts) and how many are stored */
    traceSampling: {
      perWindow: number;
      errorsPerWindow: number;
      windowMs: number;
      perOperation: number;
      maxAgeMs: number;
    };
  };
  liveWindowMs: number;
  retentionMs: number;
  retentionIntervalMs: number;
  api: { queryTimeoutMs: number; maxDepth: number; graphiql: boolean; traceUrlTemplate?: string };
  limits: {
    maxDecompressedBytes: number;
    maxDecompressionRatio: number;
    decode: {
      maxSpans: number;
      maxAttributes: number;
      maxValueLength: number;
      maxDepth: number;
      maxDurationMs: number;
    };
    tagRules: TagRule[];
    tagHashSecret?: string;
    graphql: {
      maxQueryDepth: number;
      maxComplexity: number;
      maxBreadth: number;
      maxAliases: number;
      maxDirectives: number;
      maxTokens: number;
      maxRequestBytes: number;
      introspection: boolean;
      corsOrigins: string[];
    };
  };
  auth: AuthSettings;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** Whether auth is on, and the problems with the settings that decide it. */
function authSettings(c: RawConfig, problems: string[]): AuthSettings {
  const parsed = parseTokens(c.TOPOGRAPH_TOKENS ?? '');
  problems.push(...parsed.problems.map((p) => `TOPOGRAPH_TOKENS: ${p}`));
  const has = parsed.tokens.length > 0;
  if (c.TOPOGRAPH_AUTH === 'on' && !has) problems.push('TOPOGRAPH_AUTH: "on" needs TOPOGRAPH_TOKENS');
  if (c.TOPOGRAPH_AUTH === undefined && !has && !LOOPBACK.test(c.TOPOGRAPH_HOST)) {
    problems.push(
      `TOPOGRAPH_AUTH: TOPOGRAPH_HOST=${c.TOPOGRAPH_HOST} is reachable from other machines; set TOPOGRAPH_TOKENS, or TOPOGRAPH_AUTH=off to run open on purpose`,
    );
  }
  return { enabled: c.TOPOGRAPH_AUTH === 'on' || (c.TOPOGRAPH_AUTH === undefined && has), tokens: parsed.tokens };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads the configuration from an environment; throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const c = parsed.data;
  const problems: string[] = [];
  const auth = authSettings(c, problems);
  if (c.TOPOGRAPH_TAG_RULES.some((r) => r.action === 'hash') && !c.TOPOGRAPH_TAG_HASH_SECRET) {
    problems.push('TOPOGRAPH_TAG_HASH_SECRET: required when TOPOGRAPH_TAG_RULES hashes a key');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    neo4j: { uri: c.NEO4J_URI, user: c.NEO4J_USER, password: c.NEO4J_PASSWORD, database: c.NEO4J_DATABASE },
    host: c.TOPOGRAPH_HOST,
    apiPort: c.TOPOGRAPH_API_PORT,
    otlpHttpPort: c.TOPOGRAPH_OTLP_HTTP_PORT,
    otlpGrpcPort: c.TOPOGRAPH_OTLP_GRPC_PORT,
    zipkinPort: c.TOPOGRAPH_ZIPKIN_PORT,
    logLevel: c.TOPOGRAPH_LOG_LEVEL,
    selfTracing: {
      enabled: c.TOPOGRAPH_SELF_TRACING === 'on',
      endpoint:
        c.TOPOGRAPH_SELF_TRACING_ENDPOINT ??
        `http://${['0.0.0.0', '::'].includes(c.TOPOGRAPH_HOST) ? '127.0.0.1' : c.TOPOGRAPH_HOST}:${c.TOPOGRAPH_OTLP_HTTP_PORT}/v1/traces`,
      environment: c.TOPOGRAPH_SELF_TRACING_ENVIRONMENT,
    },
    ingest: {
      flushIntervalMs: c.TOPOGRAPH_FLUSH_INTERVAL,
      pairingTtlMs: c.TOPOGRAPH_PAIRING_TTL,
      pairingMaxEntries: c.TOPOGRAPH_PAIRING_MAX_ENTRIES,
      maxBodyBytes: c.TOPOGRAPH_MAX_BODY_BYTES,
      spoolDir: c.TOPOGRAPH_SPOOL_DIR,
      spoolMaxBytes: c.TOPOGRAPH_SPOOL_MAX_BYTES,
      shutdownTimeoutMs: c.TOPOGRAPH_SHUTDOWN_TIMEOUT,
      maxLagMs: c.TOPOGRAPH_INGEST_MAX_LAG,
      maxUnreadWorkMs: c.TOPOGRAPH_INGEST_MAX_UNREAD_WORK,
      tagKeys: c.TOPOGRAPH_TAG_KEYS,
      tagMaxValues: c.TOPOGRAPH_TAG_MAX_VALUES,
      versionKeys: c.TOPOGRAPH_VERSION_KEYS,
      exemplarsPerEdge: c.TOPOGRAPH_EXEMPLARS_PER_EDGE,
      traceSampling: {
        perWindow: c.TOPOGRAPH_TRACE_SAMPLES_PER_WINDOW,
        errorsPerWindow: c.TOPOGRAPH_TRACE_ERROR_SAMPLES_PER_WINDOW,
        windowMs: c.TOPOGRAPH_TRACE_SAMPLE_WINDOW,
        perOperation: c.TOPOGRAPH_TRACE_SAMPLES_PER_OPERATION,
        maxAgeMs: c.TOPOGRAPH_TRACE_SAMPLE_MAX_AGE,
      },
    },
    liveWindowMs: c.TOPOGRAPH_LIVE_WINDOW,
    retentionMs: c.TOPOGRAPH_RETENTION,
    retentionIntervalMs: c.TOPOGRAPH_RETENTION_INTERVAL,
    api: {
      queryTimeoutMs: c.TOPOGRAPH_QUERY_TIMEOUT,
      maxDepth: c.TOPOGRAPH_MAX_DEPTH,
      graphiql: c.TOPOGRAPH_GRAPHIQL,
      traceUrlTemplate: c.TOPOGRAPH_TRACE_URL_TEMPLATE,
    },
    limits: {
      maxDecompressedBytes: c.TOPOGRAPH_MAX_DECOMPRESSED_BYTES,
      maxDecompressionRatio: c.TOPOGRAPH_MAX_DECOMPRESSION_RATIO,
      decode: {
        maxSpans: c.TOPOGRAPH_MAX_SPANS_PER_REQUEST,
        maxAttributes: c.TOPOGRAPH_MAX_ATTRIBUTES_PER_SPAN,
        maxValueLength: c.TOPOGRAPH_MAX_ATTRIBUTE_VALUE_LENGTH,
        maxDepth: c.TOPOGRAPH_MAX_ATTRIBUTE_DEPTH,
        maxDurationMs: c.TOPOGRAPH_MAX_SPAN_DURATION,
      },
      tagRules: c.TOPOGRAPH_TAG_RULES,
      tagHashSecret: c.TOPOGRAPH_TAG_HASH_SECRET,
      graphql: {
        maxQueryDepth: c.TOPOGRAPH_MAX_QUERY_DEPTH,
        maxComplexity: c.TOPOGRAPH_MAX_QUERY_COMPLEXITY,
        maxBreadth: c.TOPOGRAPH_MAX_QUERY_BREADTH,
        maxAliases: c.TOPOGRAPH_MAX_ALIASES,
        maxDirectives: c.TOPOGRAPH_MAX_DIRECTIVES,
        maxTokens: c.TOPOGRAPH_MAX_QUERY_TOKENS,
        maxRequestBytes: c.TOPOGRAPH_MAX_REQUEST_BYTES,
        introspection: c.TOPOGRAPH_INTROSPECTION,
        corsOrigins: c.TOPOGRAPH_CORS_ORIGINS,
      },
    },
    auth,
  };
}

/** For entry points: the configuration, or every problem on stderr and exit code 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
