/**
 * All configuration, in one place: every environment variable, its description, its default and
 * its check. The typed configuration (`Config` and its slices) is derived from this schema, and
 * docs/configuration.md is generated from it (`npm run docs:config`). `loadConfig` reports every
 * problem at once.
 */
import { z } from 'zod';
import { parseTokens, type AuthSettings } from './auth.js';
import { parseTagRules } from './tag-rules.js';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `10s`, `15m`, `24h`, `7d` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * The kinds of value a variable holds. Each is named in the registry so that the generated
 * reference can say what to write; defaults are given as the text one would write in the
 * environment (`prefault`), so they pass the same check and read the same in the reference.
 */
export const valueKinds = z.registry<{ kind: string }>();

const integer = (kind: string, min: number, max?: number) => {
  const base = z.coerce.number().int().min(min);
  return (max === undefined ? base : base.max(max)).register(valueKinds, { kind });
};
const port = integer('port (0–65535)', 0, 65535);
const positiveInt = integer('integer ≥ 1', 1);
const nonNegativeInt = integer('integer ≥ 0', 0);

const duration = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 500ms, 10s, 15m, 24h or 7d` });
      return z.NEVER;
    }
    return ms;
  })
  .register(valueKinds, { kind: 'duration' });

const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .register(valueKinds, { kind: 'comma-separated list' });

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .register(valueKinds, { kind: '`true`/`false`' });

const tagRules = z
  .string()
  .transform((text, ctx) => {
    const { rules, problems } = parseTagRules(text);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return rules;
  })
  .register(valueKinds, { kind: 'comma-separated `key:keep`, `key:drop` or `key:hash`' });

const text = z.string().register(valueKinds, { kind: 'text' });
const url = z.string().url().register(valueKinds, { kind: 'URL' });

/** The process environment, variable by variable. */
export const envSchema = z.object({
  NEO4J_URI: url
    .optional()
    .describe('Bolt URI of Neo4j, e.g. `neo4j://db:7687`; unset: the local server (started on demand)'),
  NEO4J_USER: text.prefault('neo4j').describe('Neo4j user'),
  NEO4J_PASSWORD: text.optional().describe('Neo4j password; required with `NEO4J_URI`'),
  NEO4J_DATABASE: text.prefault('neo4j').describe('Neo4j database'),

  TOPOGRAPH_HOST: text
    .prefault('127.0.0.1')
    .describe('address both processes listen on (`0.0.0.0` in containers; then tokens are required)'),
  TOPOGRAPH_API_PORT: port.prefault('4000').describe('GraphQL API, GraphiQL, the topology page'),
  TOPOGRAPH_OTLP_HTTP_PORT: port.prefault('4318').describe('OTLP/HTTP receiver'),
  TOPOGRAPH_OTLP_GRPC_PORT: port.prefault('4317').describe('OTLP/gRPC receiver'),
  TOPOGRAPH_ZIPKIN_PORT: port.prefault('9411').describe('Zipkin v2 receiver'),
  TOPOGRAPH_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .prefault('info')
    .describe('least severe log level written'),
  TOPOGRAPH_LOG_PRETTY: bool.prefault('false').describe('readable log lines instead of JSON (`npm start` sets it)'),

  TOPOGRAPH_FLUSH_INTERVAL: duration
    .prefault('1s')
    .describe('how often aggregated facts are written (the shortest interval, when a flush has few rows)'),
  TOPOGRAPH_FLUSH_ROWS_PER_SECOND: nonNegativeInt
    .prefault('8000')
    .describe(
      'rows a second one worker may send Neo4j: after a flush of more rows than this × TOPOGRAPH_FLUSH_INTERVAL, the next waits rows / this (up to TOPOGRAPH_FLUSH_INTERVAL_MAX); `0`: a fixed interval',
    ),
  TOPOGRAPH_FLUSH_INTERVAL_MAX: duration
    .prefault('2s')
    .describe(
      'the longest the flush interval grows to with the rows of a flush, and the interval while the worker is behind in reading or busy (TOPOGRAPH_FLUSH_BUSY_PERCENT); below TOPOGRAPH_INGEST_MAX_LAG (no growth when not above TOPOGRAPH_FLUSH_INTERVAL)',
    ),
  TOPOGRAPH_FLUSH_BUSY_PERCENT: integer('integer 0–100', 0, 100)
    .prefault('85')
    .describe(
      "the worker's event loop busy this share (percent) of a flush interval or more: the next waits TOPOGRAPH_FLUSH_INTERVAL_MAX, as when it is behind in reading (fewer, larger writes at the edge of its CPU; none while TOPOGRAPH_FLUSH_ROWS_PER_SECOND is 0); `0`: never",
    ),
  TOPOGRAPH_BREAKDOWN_INTERVAL: duration
    .prefault('10s')
    .describe(
      'under load, how long tag and version counts may wait for a later flush, held in the checkpoint (with every flush while a flush with them has few rows, see TOPOGRAPH_FLUSH_ROWS_PER_SECOND); `0`: with every flush',
    ),
  TOPOGRAPH_PAIRING_TTL: duration.prefault('10s').describe('how long half a call waits for its other half'),
  TOPOGRAPH_PAIRING_MAX_ENTRIES: positiveInt
    .prefault('200000')
    .describe('pairing buffer bound (the ancestry index: 5 ×); past it the oldest go early (counted)'),
  TOPOGRAPH_PAIRING_LATE_WINDOW: duration
    .prefault('15m')
    .describe(
      'how long a half that expired unpaired is remembered: a partner arriving within it corrects the virtual edge to the real one (0: never)',
    ),
  TOPOGRAPH_PAIRING_LATE_MAX_ENTRIES: positiveInt
    .prefault('1750000')
    .describe(
      'expired halves remembered for the late window at most (~95 bytes each, in columns off the heap: ~170 MB when full; sized so that the 15-minute window decides up to ~1,900 expiries a second; docs/ingest.md); past it the oldest are forgotten early (counted) and their calls stay on the virtual edge',
    ),
  TOPOGRAPH_PAIRING_UNANSWERED_AFTER: nonNegativeInt
    .prefault('32')
    .describe(
      'once this many calls to one callee expired unanswered, and none was seen answered, its next calls still unanswered when their request is read expire at the next flush instead of waiting the pairing TTL (a server half that comes later corrects them through the late window; 0, or a late window of 0: never)',
    ),
  TOPOGRAPH_PRESENCE_MAX_ENTRIES: positiveInt
    .prefault('200000')
    .describe(
      'edges and components whose written hours of presence the worker remembers; past it it starts afresh (some presence rows written again)',
    ),
  TOPOGRAPH_PRESENCE_HOURS: integer('integer 1–8760', 1, 8760)
    .prefault('48')
    .describe(
      'hours of presence remembered per edge or component, up to the newest it handed over, a bit each (an older hour seen again is written again, harmlessly)',
    ),
  TOPOGRAPH_LIBRARY_SEEN_REFRESH: duration
    .prefault('1m')
    .describe(
      "how often a library use still running is written again to move its `lastSeen` (each worker; a use's `lastSeen` lags its last span by less than this); `0`: with every flush",
    ),
  TOPOGRAPH_MAX_BODY_BYTES: positiveInt
    .prefault(String(16 * 1024 * 1024))
    .describe('largest request body a receiver reads (413); a declared `Content-Length` is refused before reading'),
  TOPOGRAPH_SPOOL_DIR: text
    .prefault('.spool')
    .describe(
      'the durable spool: accepted requests wait there until their facts are written; one worker per directory',
    ),
  TOPOGRAPH_SPOOL_MAX_BYTES: positiveInt
    .prefault(String(1024 * 1024 * 1024))
    .describe('spool bound; when full, receivers answer 429/503 with Retry-After'),
  TOPOGRAPH_SHUTDOWN_TIMEOUT: duration
    .prefault('10s')
    .describe('how long SIGTERM keeps trying to write what is spooled and checkpoint'),
  TOPOGRAPH_INGEST_MAX_LAG: duration
    .prefault('5s')
    .describe(
      'how long an acknowledged request may wait to be written (Neo4j up) before requests get 429 + Retry-After; `0s`: unbounded',
    ),
  TOPOGRAPH_INGEST_MAX_UNREAD_WORK: duration
    .prefault('1s')
    .describe(
      'how much reading (unread spans × measured time per span) may wait before new requests are held unread (up to 2 s, then 429); `0s`: off',
    ),

  TOPOGRAPH_TAG_KEYS: list
    .prefault(
      '*.version,client.*,http.route,owner,team,service.owner,service.team,tenant.id,customer.id,deployment.environment.name,cloud.region,k8s.namespace.name',
    )
    .describe('attribute keys whose values become tags; `*` matches any run of characters'),
  TOPOGRAPH_TAG_MAX_VALUES: positiveInt
    .prefault('1000')
    .describe('distinct values kept per tag key; more are counted as `(other)`'),
  TOPOGRAPH_VERSION_KEYS: list
    .prefault('')
    .describe(
      'extra resource attributes recorded as library versions of a service (besides scopes, `telemetry.sdk.*`, `process.runtime.*`)',
    ),
  TOPOGRAPH_EXEMPLARS_PER_EDGE: nonNegativeInt.prefault('5').describe('trace ids kept per CALLS edge'),
  TOPOGRAPH_VERSIONS_PER_EDGE: positiveInt
    .prefault('10')
    .describe(
      'caller and callee `service.version` pairs kept per DEPENDS_ON and CALLS edge, and versions kept per service; past it the least recently seen are dropped (`topograph_ingest_versions_dropped_total`)',
    ),
  TOPOGRAPH_TRACE_SAMPLES_PER_WINDOW: nonNegativeInt
    .prefault('5')
    .describe('successful trace skeletons kept per entry operation and window'),
  TOPOGRAPH_TRACE_ERROR_SAMPLES_PER_WINDOW: nonNegativeInt
    .prefault('20')
    .describe('failing traces kept per entry operation and window'),
  TOPOGRAPH_TRACE_SAMPLE_WINDOW: duration.prefault('10m').describe('the trace sampling window'),
  TOPOGRAPH_TRACE_SAMPLES_PER_OPERATION: positiveInt
    .prefault('50')
    .describe('trace skeletons kept per entry operation in all'),
  TOPOGRAPH_TRACE_SAMPLE_MAX_AGE: duration
    .prefault('24h')
    .describe("trace skeletons this much older than their operation's newest are removed"),

  TOPOGRAPH_LIVE_WINDOW: duration.prefault('24h').describe('what queries show when no `since` is given'),
  TOPOGRAPH_RETENTION: duration.prefault('7d').describe('what was not seen for this long is removed'),
  TOPOGRAPH_RETENTION_INTERVAL: duration.prefault('1h').describe('how often the retention job runs'),

  TOPOGRAPH_QUERY_TIMEOUT: duration.prefault('10s').describe('Neo4j transaction timeout of every API read'),
  TOPOGRAPH_MAX_DEPTH: integer('integer 1–20', 1, 20)
    .prefault('10')
    .describe('deepest traversal (`depth`) the API accepts'),
  TOPOGRAPH_GRAPHIQL: bool.prefault('true').describe('serve GraphiQL at `/graphql`'),

  TOPOGRAPH_SELF_TRACING: z.enum(['off', 'on']).prefault('off').describe('`on`: both processes trace themselves'),
  TOPOGRAPH_SELF_TRACING_ENDPOINT: url
    .optional()
    .describe("OTLP/HTTP traces URL their spans go to; unset: the worker's own `/v1/traces`"),
  TOPOGRAPH_SELF_TRACING_ENVIRONMENT: text
    .prefault('')
    .describe("`deployment.environment.name` of Topograph's own spans"),
  TOPOGRAPH_TRACE_URL_TEMPLATE: text
    .refine((t) => t.includes('{traceId}'), 'must contain {traceId}, e.g. https://jaeger.example/trace/{traceId}')
    .optional()
    .describe('trace-UI link for exemplars, e.g. `https://jaeger.example/trace/{traceId}`; unset: no links'),

  TOPOGRAPH_MAX_DECOMPRESSED_BYTES: positiveInt
    .prefault(String(64 * 1024 * 1024))
    .describe('largest request body after gzip/deflate (413; inflation stops there)'),
  TOPOGRAPH_MAX_DECOMPRESSION_RATIO: positiveInt
    .prefault('100')
    .describe('largest inflation ratio of a request body past its first MiB (413)'),
  TOPOGRAPH_MAX_SPANS_PER_REQUEST: positiveInt
    .prefault('50000')
    .describe('spans in one request; past it the request is refused whole (413) without decoding the rest'),
  TOPOGRAPH_MAX_ATTRIBUTES_PER_SPAN: positiveInt
    .prefault('128')
    .describe('attributes kept per span, resource and nested kvlist; the rest are dropped and counted'),
  TOPOGRAPH_MAX_ATTRIBUTE_VALUE_LENGTH: positiveInt
    .prefault('4096')
    .describe('string attribute values and span names are cut to this many UTF-16 units, and counted'),
  TOPOGRAPH_MAX_ATTRIBUTE_DEPTH: integer('integer 1–32', 1, 32)
    .prefault('8')
    .describe('arrays/kvlists nested deeper than this become `[too deep]`'),
  TOPOGRAPH_MAX_SPAN_DURATION: duration.prefault('7d').describe('a span lasting longer than this is refused'),
  TOPOGRAPH_TAG_RULES: tagRules
    .prefault('')
    .describe(
      'per-key personal-data rule, e.g. `customer.id:hash,user.email:drop`; keys may use `*` as in `TOPOGRAPH_TAG_KEYS`; the first matching rule wins',
    ),
  TOPOGRAPH_TAG_HASH_SECRET: text
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('HMAC secret for `hash` rules (at least 16 characters; required with them)'),

  TOPOGRAPH_MAX_QUERY_DEPTH: positiveInt.prefault('15').describe('GraphQL selection depth (Pothos complexity plugin)'),
  TOPOGRAPH_MAX_QUERY_COMPLEXITY: positiveInt
    .prefault('5000')
    .describe('GraphQL cost, with list fields multiplied (Pothos complexity plugin)'),
  TOPOGRAPH_MAX_QUERY_BREADTH: positiveInt
    .prefault('200')
    .describe('fields per GraphQL query (Pothos complexity plugin)'),
  TOPOGRAPH_MAX_ALIASES: positiveInt.prefault('30').describe('aliases per GraphQL query'),
  TOPOGRAPH_MAX_DIRECTIVES: positiveInt.prefault('20').describe('directives per GraphQL query'),
  TOPOGRAPH_MAX_QUERY_TOKENS: positiveInt
    .prefault('5000')
    .describe('tokens per GraphQL document, refused while parsing'),
  TOPOGRAPH_MAX_REQUEST_BYTES: positiveInt
    .prefault(String(1024 * 1024))
    .describe(
      'largest GraphQL request body, from its declared `Content-Length` (413 `REQUEST_TOO_LARGE`; 411 `LENGTH_REQUIRED` without one)',
    ),
  TOPOGRAPH_INTROSPECTION: bool
    .prefault('true')
    .describe('allow schema introspection (`false`: GraphiQL then has no docs)'),
  TOPOGRAPH_CORS_ORIGINS: list
    .prefault('')
    .describe('browser origins allowed to call the API; none means no CORS headers at all'),

  TOPOGRAPH_BACKSTAGE_URL: url
    .optional()
    .describe(
      "Backstage's base URL; set: the ingest worker mirrors its catalog (`/api/catalog/entities`) as the declared map (docs/catalog.md)",
    ),
  TOPOGRAPH_BACKSTAGE_TOKEN: text
    .optional()
    .describe('bearer token sent to the Backstage catalog API; unset: no Authorization header'),
  TOPOGRAPH_BACKSTAGE_ENVIRONMENT: text
    .prefault('')
    .describe('the environment the Backstage catalog describes; unset: every environment'),
  TOPOGRAPH_BACKSTAGE_INTERVAL: duration.prefault('5m').describe('how often the Backstage catalog is read'),
  TOPOGRAPH_BACKSTAGE_TIMEOUT: duration
    .prefault('30s')
    .describe('how long one read of the Backstage catalog (every page) may take before it is given up'),

  TOPOGRAPH_AUTH: z
    .enum(['on', 'off'])
    .optional()
    .describe(
      'bearer-token access control; unset: on when tokens are configured, off on a loopback host without tokens, a configuration error otherwise',
    ),
  TOPOGRAPH_TOKENS: text
    .optional()
    .describe(
      '`name:token:scope+scope,…` with scopes `ingest` (receivers), `read` (/graphql), `admin` (/metrics); tokens at least 16 printable characters',
    ),
});

type Env = z.output<typeof envSchema>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** Whether auth is on; its problems are added to the parse's issues. */
function authSettings(c: Env, problem: (variable: string, message: string) => void): AuthSettings {
  const parsed = parseTokens(c.TOPOGRAPH_TOKENS ?? '');
  for (const p of parsed.problems) problem('TOPOGRAPH_TOKENS', p);
  const has = parsed.tokens.length > 0;
  if (c.TOPOGRAPH_AUTH === 'on' && !has) problem('TOPOGRAPH_AUTH', '"on" needs TOPOGRAPH_TOKENS');
  if (c.TOPOGRAPH_AUTH === undefined && !has && !LOOPBACK.test(c.TOPOGRAPH_HOST)) {
    problem(
      'TOPOGRAPH_AUTH',
      `TOPOGRAPH_HOST=${c.TOPOGRAPH_HOST} is reachable from other machines; set TOPOGRAPH_TOKENS, or TOPOGRAPH_AUTH=off to run open on purpose`,
    );
  }
  return { enabled: c.TOPOGRAPH_AUTH === 'on' || (c.TOPOGRAPH_AUTH === undefined && has), tokens: parsed.tokens };
}

/** The environment, checked and shaped into the slices the factories take. */
export const configSchema = envSchema.transform((c, ctx) => {
  const problem = (variable: string, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
  const auth = authSettings(c, problem);
  // Growing that long would leave what was acknowledged unwritten past the lag bound, and refused.
  // (A longest interval below TOPOGRAPH_FLUSH_INTERVAL means no growth: that interval stays as set.)
  const grows = c.TOPOGRAPH_FLUSH_ROWS_PER_SECOND > 0 && c.TOPOGRAPH_FLUSH_INTERVAL_MAX > c.TOPOGRAPH_FLUSH_INTERVAL;
  if (grows && c.TOPOGRAPH_INGEST_MAX_LAG > 0 && c.TOPOGRAPH_FLUSH_INTERVAL_MAX >= c.TOPOGRAPH_INGEST_MAX_LAG) {
    problem('TOPOGRAPH_FLUSH_INTERVAL_MAX', 'must be shorter than TOPOGRAPH_INGEST_MAX_LAG');
  }
  if (c.TOPOGRAPH_TAG_RULES.some((r) => r.action === 'hash') && !c.TOPOGRAPH_TAG_HASH_SECRET) {
    problem('TOPOGRAPH_TAG_HASH_SECRET', 'required when TOPOGRAPH_TAG_RULES hashes a key');
  }
  return {
    neo4j: { uri: c.NEO4J_URI, user: c.NEO4J_USER, password: c.NEO4J_PASSWORD, database: c.NEO4J_DATABASE },
    host: c.TOPOGRAPH_HOST,
    apiPort: c.TOPOGRAPH_API_PORT,
    otlpHttpPort: c.TOPOGRAPH_OTLP_HTTP_PORT,
    otlpGrpcPort: c.TOPOGRAPH_OTLP_GRPC_PORT,
    zipkinPort: c.TOPOGRAPH_ZIPKIN_PORT,
    logLevel: c.TOPOGRAPH_LOG_LEVEL,
    logPretty: c.TOPOGRAPH_LOG_PRETTY,
    selfTracing: {
      enabled: c.TOPOGRAPH_SELF_TRACING === 'on',
      endpoint:
        c.TOPOGRAPH_SELF_TRACING_ENDPOINT ??
        `http://${['0.0.0.0', '::'].includes(c.TOPOGRAPH_HOST) ? '127.0.0.1' : c.TOPOGRAPH_HOST}:${c.TOPOGRAPH_OTLP_HTTP_PORT}/v1/traces`,
      environment: c.TOPOGRAPH_SELF_TRACING_ENVIRONMENT,
    },
    ingest: {
      flushInterval: {
        minMs: c.TOPOGRAPH_FLUSH_INTERVAL,
        maxMs: c.TOPOGRAPH_FLUSH_INTERVAL_MAX,
        rowsPerSecond: c.TOPOGRAPH_FLUSH_ROWS_PER_SECOND,
        busyPercent: c.TOPOGRAPH_FLUSH_BUSY_PERCENT,
      },
      breakdownIntervalMs: c.TOPOGRAPH_BREAKDOWN_INTERVAL,
      pairingTtlMs: c.TOPOGRAPH_PAIRING_TTL,
      pairingMaxEntries: c.TOPOGRAPH_PAIRING_MAX_ENTRIES,
      pairingLateWindowMs: c.TOPOGRAPH_PAIRING_LATE_WINDOW,
      pairingLateMaxEntries: c.TOPOGRAPH_PAIRING_LATE_MAX_ENTRIES,
      pairingUnansweredAfter: c.TOPOGRAPH_PAIRING_UNANSWERED_AFTER,
      presence: { maxEntries: c.TOPOGRAPH_PRESENCE_MAX_ENTRIES, hours: c.TOPOGRAPH_PRESENCE_HOURS },
      librarySeenRefreshMs: c.TOPOGRAPH_LIBRARY_SEEN_REFRESH,
      maxBodyBytes: c.TOPOGRAPH_MAX_BODY_BYTES,
      spoolDir: c.TOPOGRAPH_SPOOL_DIR,
      spoolMaxBytes: c.TOPOGRAPH_SPOOL_MAX_BYTES,
      shutdownTimeoutMs: c.TOPOGRAPH_SHUTDOWN_TIMEOUT,
      maxLagMs: c.TOPOGRAPH_INGEST_MAX_LAG,
      maxUnreadWorkMs: c.TOPOGRAPH_INGEST_MAX_UNREAD_WORK,
      tagKeys: c.TOPOGRAPH_TAG_KEYS,
      tagMaxValues: c.TOPOGRAPH_TAG_MAX_VALUES,
      versionKeys: c.TOPOGRAPH_VERSION_KEYS,
      traceSampling: {
        perWindow: c.TOPOGRAPH_TRACE_SAMPLES_PER_WINDOW,
        errorsPerWindow: c.TOPOGRAPH_TRACE_ERROR_SAMPLES_PER_WINDOW,
        windowMs: c.TOPOGRAPH_TRACE_SAMPLE_WINDOW,
      },
      writer: {
        exemplarsPerEdge: c.TOPOGRAPH_EXEMPLARS_PER_EDGE,
        versionsPerEdge: c.TOPOGRAPH_VERSIONS_PER_EDGE,
        traceSamplesPerOperation: c.TOPOGRAPH_TRACE_SAMPLES_PER_OPERATION,
        traceSampleMaxAgeMs: c.TOPOGRAPH_TRACE_SAMPLE_MAX_AGE,
      },
    },
    catalog: {
      backstageUrl: c.TOPOGRAPH_BACKSTAGE_URL,
      backstageToken: c.TOPOGRAPH_BACKSTAGE_TOKEN,
      environment: c.TOPOGRAPH_BACKSTAGE_ENVIRONMENT,
      intervalMs: c.TOPOGRAPH_BACKSTAGE_INTERVAL,
      timeoutMs: c.TOPOGRAPH_BACKSTAGE_TIMEOUT,
    },
    retentionMs: c.TOPOGRAPH_RETENTION,
    retentionIntervalMs: c.TOPOGRAPH_RETENTION_INTERVAL,
    api: {
      graphiql: c.TOPOGRAPH_GRAPHIQL,
      settings: {
        liveWindowMs: c.TOPOGRAPH_LIVE_WINDOW,
        queryTimeoutMs: c.TOPOGRAPH_QUERY_TIMEOUT,
        maxDepth: c.TOPOGRAPH_MAX_DEPTH,
        maxQueryDepth: c.TOPOGRAPH_MAX_QUERY_DEPTH,
        maxComplexity: c.TOPOGRAPH_MAX_QUERY_COMPLEXITY,
        maxBreadth: c.TOPOGRAPH_MAX_QUERY_BREADTH,
        traceUrlTemplate: c.TOPOGRAPH_TRACE_URL_TEMPLATE,
      },
      security: {
        maxRequestBytes: c.TOPOGRAPH_MAX_REQUEST_BYTES,
        maxAliases: c.TOPOGRAPH_MAX_ALIASES,
        maxDirectives: c.TOPOGRAPH_MAX_DIRECTIVES,
        maxTokens: c.TOPOGRAPH_MAX_QUERY_TOKENS,
        introspection: c.TOPOGRAPH_INTROSPECTION,
        corsOrigins: c.TOPOGRAPH_CORS_ORIGINS,
      },
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
    },
    auth,
  };
});

export type Config = z.output<typeof configSchema>;
/** The slices the factories take. */
export type Neo4jConfig = Config['neo4j'];
export type SelfTracingConfig = Config['selfTracing'];
export type IngestConfig = Config['ingest'];
export type WriterConfig = IngestConfig['writer'];
export type TraceSamplingConfig = IngestConfig['traceSampling'];
export type LimitsConfig = Config['limits'];
/** What one decoded request may hold (ingest/otlp/validate.ts applies them). */
export type DecodeLimits = LimitsConfig['decode'];
export type ApiConfig = Config['api'];
/** Where the Backstage catalog is read from (ingest/catalog/backstage-poller.ts). */
export type CatalogConfig = Config['catalog'];
/** The settings queries default to (src/api/graphql/context.ts). */
export type ApiSettings = ApiConfig['settings'];
/** Request limits, introspection and CORS (src/api/graphql/hardening.ts). */
export type GraphqlSecurity = ApiConfig['security'];

/** Every variable the schema reads. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses an environment with one of the schemas; throws a ConfigError listing every problem. */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  // Empty variables count as unset, as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/** Reads the configuration from an environment; throws a ConfigError listing every problem. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseEnv(configSchema, env);

/** The configuration of an empty environment: every default, as tests and tools start from. */
export const defaultConfig = (): Config => loadConfig({});

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

/** The project's local Neo4j server (src/core/neo4j/local-server.ts), read by the tools that start it. */
export const localNeo4jEnvSchema = z.object({
  TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT: port.prefault('7687').describe("the local server's Bolt port"),
  TOPOGRAPH_LOCAL_NEO4J_HTTP_PORT: port.prefault('7474').describe("the local server's HTTP port"),
  TOPOGRAPH_LOCAL_NEO4J_DIR: text
    .prefault('.neo4j')
    .describe("where the local server's jars, data and logs live (relative to the checkout)"),
  TOPOGRAPH_LOCAL_NEO4J_HEAP: text.prefault('1g').describe('its JVM heap'),
  TOPOGRAPH_LOCAL_NEO4J_PAGECACHE: text.prefault('512m').describe('its page cache'),
});

/** The local server's settings; throws a ConfigError listing every problem. */
export const loadLocalNeo4jEnv = (env: NodeJS.ProcessEnv = process.env) => parseEnv(localNeo4jEnvSchema, env);
