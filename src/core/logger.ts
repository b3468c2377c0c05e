/** Structured logs (pino): JSON by default, readable lines when TOPOGRAPH_LOG_PRETTY=1 (what `npm start` sets). */
import pino, { type Logger } from 'pino';

export type { Logger };

/** `fd` 2 for a process whose stdout is a protocol channel (the MCP server on stdio). */
export function createLogger(
  name: string,
  level: string,
  pretty = process.env.TOPOGRAPH_LOG_PRETTY === '1',
  fd: 1 | 2 = 1,
): Logger {
  const options = {
    name,
    level,
    // Tokens and passwords must never reach a log line, whatever object is logged.
    redact: { paths: ['*.password', '*.token', 'req.headers.authorization', 'headers.authorization'], remove: true },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss', destination: fd },
          },
        }
      : {}),
  };
  return pretty || fd === 1 ? pino(options) : pino(options, pino.destination(fd));
}
