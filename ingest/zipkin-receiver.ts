/**
 * Zipkin v2 `POST /api/v2/spans` (JSON, optionally gzip): what Zipkin tracers and the OpenTelemetry
 * Zipkin exporter send. Decoded by the same reader as imported Zipkin files, then handed to the
 * worker exactly like an OTLP request. Answers 202 as a Zipkin server does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { zipkinToBatch } from './formats/zipkin.js';
import { InvalidPayloadError } from './otlp/errors.js';
import { DEFAULT_DECODE_LIMITS } from './otlp/validate.js';
import {
  decompress,
  HttpError,
  readBody,
  rejectionMessage,
  retryHeaders,
  type OtlpHttpOptions,
} from './otlp/http-receiver.js';
import type { Intake } from './intake.js';

export const ZIPKIN_SPANS_PATH = '/api/v2/spans';

export interface ZipkinHttpDeps extends Intake {
  options: OtlpHttpOptions;
}

function reply(res: ServerResponse, status: number, message?: string, headers: Record<string, string> = {}): void {
  if (message === undefined) {
    res.writeHead(status, headers);
    res.end();
  } else {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(`${message}\n`);
  }
}

export function createZipkinHttpHandler(deps: ZipkinHttpDeps) {
  return async function handleZipkin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== ZIPKIN_SPANS_PATH) {
      req.resume();
      return reply(res, 404, `not found: Zipkin v2 spans go to POST ${ZIPKIN_SPANS_PATH}`);
    }
    if (req.method !== 'POST') {
      req.resume();
      return reply(res, 405, 'use POST', { allow: 'POST' });
    }
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      deps.onRejected?.(0, 'http 415');
      return reply(res, 415, 'Content-Type must be application/json (Zipkin v2 JSON)');
    }
    const early = await deps.admit?.();
    if (early) {
      req.resume();
      deps.onRejected?.(0, `http ${early.status}`);
      return reply(res, early.status, early.message, retryHeaders(early));
    }
    try {
      const raw = await readBody(req, deps.options.maxBodyBytes);
      const { maxDecompressedBytes, maxDecompressionRatio, limits } = deps.options;
      const body = await decompress(raw, req.headers['content-encoding'], maxDecompressedBytes, maxDecompressionRatio);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new InvalidPayloadError(`body is not valid JSON: ${(error as Error).message}`);
      }
      const decoded = zipkinToBatch(parsed, limits ?? DEFAULT_DECODE_LIMITS);
      const result = await deps.accept(decoded, { body, contentType: 'zipkin-json' });
      if (result.refuse) {
        return reply(res, result.refuse.status, result.refuse.message, retryHeaders(result.refuse));
      }
      if (decoded.rejected.length > 0) {
        deps.onRejected?.(decoded.rejected.length, 'invalid span');
        // Zipkin has no partial success: say what was refused, but accept the rest.
        return reply(res, 202, rejectionMessage(decoded));
      }
      reply(res, 202);
    } catch (error) {
      if (error instanceof HttpError) {
        deps.onRejected?.(0, `http ${error.status}`);
        reply(res, error.status, error.message, error.headers);
      } else if (error instanceof InvalidPayloadError) {
        deps.onRejected?.(0, error.status === 413 ? 'too many spans' : 'invalid payload');
        reply(res, error.status, error.message);
      } else throw error;
    }
  };
}
