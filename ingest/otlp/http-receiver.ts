/**
 * OTLP/HTTP `POST /v1/traces`: protobuf or JSON, optionally gzip- or deflate-compressed.
 * Answers in the request's encoding, with OTLP partial success when some spans were refused.
 * Bodies are read with a size limit and inflated with an output limit, so neither a huge body nor
 * a compression bomb is ever held in memory whole.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib';
import protobuf from 'protobufjs/minimal.js';
import type { Intake, Refusal } from '../intake.js';
import type { DecodedBatch } from '../span.js';
import { decodeOtlpJson } from './decode-json.js';
import type { AttributeKeys } from './attribute-keys.js';
import { decodeOtlpProtobuf } from './decode-protobuf.js';
import { InvalidPayloadError } from './errors.js';
import type { DecodeLimits } from './validate.js';

const gunzipAsync = promisify<InputType, ZlibOptions, Buffer>(gunzip);
const inflateAsync = promisify<InputType, ZlibOptions, Buffer>(inflate);

export interface OtlpHttpOptions {
  maxBodyBytes: number;
  /** the largest a compressed body may inflate to */
  maxDecompressedBytes: number;
  /** how many times its compressed size a body may inflate to (above DECOMPRESSION_FLOOR_BYTES) */
  maxDecompressionRatio?: number;
  /** what one request may hold; the decoders' defaults when unset */
  limits: DecodeLimits;
  /** which span attributes the protobuf decoder builds (the worker's: those derivation reads); all when unset */
  attributeKeys?: AttributeKeys;
}

/** Bodies may always inflate this far, whatever the ratio: small requests compress well and cost little. */
export const DECOMPRESSION_FLOOR_BYTES = 1024 * 1024;

export type { AcceptResult, RawContentType, Refusal } from '../intake.js';

export interface OtlpHttpDeps extends Intake {
  options: OtlpHttpOptions;
}

/** The partial-success message every receiver answers with: how many spans were refused, and why for the first few. */
export function rejectionMessage(decoded: DecodedBatch): string {
  const rejected = decoded.rejected.length;
  if (rejected === 0) return '';
  const first = decoded.rejected.slice(0, 5).map((p) => `${p.at}: ${p.message}`);
  return `${rejected} span(s) rejected: ${first.join('; ')}${rejected > 5 ? '; …' : ''}`;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const CLOSE = { connection: 'close' };

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(
      new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, CLOSE),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Destroying the request would also cut the 413 off; instead the rest is discarded and the
        // connection closed once the answer is out.
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body exceeds the limit of ${limit} bytes`, CLOSE));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export async function decompress(
  body: Buffer,
  encoding: string | undefined,
  maxBytes: number,
  maxRatio = Infinity,
): Promise<Buffer> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return body;
  // zlib stops inflating at maxOutputLength, so a bomb costs at most this much memory, never its full size.
  const byRatio = Math.max(DECOMPRESSION_FLOOR_BYTES, body.length * maxRatio);
  const limit = Math.min(maxBytes, byRatio);
  const opts = { maxOutputLength: limit };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return await gunzipAsync(body, opts);
    if (enc === 'deflate') return await inflateAsync(body, opts);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      const why =
        limit < maxBytes ? `${maxRatio} times its compressed size of ${body.length} bytes` : `${maxBytes} bytes`;
      throw new HttpError(413, `decompressed body exceeds the limit of ${why}`);
    }
    throw new HttpError(400, `could not decompress the ${enc} body: ${(error as Error).message}`);
  }
  throw new HttpError(415, `unsupported Content-Encoding "${encoding}" (use gzip, deflate or none)`);
}

function mediaType(req: IncomingMessage): 'protobuf' | 'json' | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/** ExportTraceServiceResponse { partial_success (1) { rejected_spans (1), error_message (2) } } */
export function exportResponseProtobuf(rejected: number, message: string): Uint8Array {
  const w = protobuf.Writer.create();
  if (rejected > 0 || message) {
    w.uint32((1 << 3) | 2).fork();
    if (rejected > 0) w.uint32(1 << 3).int64(rejected);
    if (message) w.uint32((2 << 3) | 2).string(message);
    w.ldelim();
  }
  return w.finish();
}

function send(res: ServerResponse, status: number, type: 'protobuf' | 'json', body: unknown, headers = {}): void {
  if (type === 'protobuf') {
    res.writeHead(status, { 'content-type': 'application/x-protobuf', ...headers });
    res.end(body as Uint8Array);
  } else {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}

/** Errors travel as google.rpc.Status; in JSON that is `{ code, message }` (OTLP/HTTP spec). */
function sendError(res: ServerResponse, type: 'protobuf' | 'json', status: number, message: string, headers = {}) {
  if (type === 'protobuf') {
    // google.rpc.Status { code (1), message (2) }; the gRPC code matters less than the HTTP status here.
    const w = protobuf.Writer.create();
    w.uint32((2 << 3) | 2).string(message);
    send(res, status, 'protobuf', w.finish(), headers);
  } else send(res, status, 'json', { code: status, message }, headers);
}

export function retryHeaders(refusal: Refusal): Record<string, string> {
  return refusal.retryAfterSeconds ? { 'retry-after': String(refusal.retryAfterSeconds) } : {};
}

export function createOtlpHttpHandler(deps: OtlpHttpDeps) {
  return async function handleTraces(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = mediaType(req);
    if (!type) {
      req.resume();
      deps.onRejected?.(0, 'http 415');
      sendError(res, 'json', 415, 'Content-Type must be application/x-protobuf or application/json');
      return;
    }
    const early = await deps.admit?.();
    if (early) {
      req.resume();
      deps.onRejected?.(0, `http ${early.status}`);
      sendError(res, type, early.status, early.message, retryHeaders(early));
      return;
    }
    try {
      const raw = await readBody(req, deps.options.maxBodyBytes);
      const { maxDecompressedBytes, maxDecompressionRatio, limits, attributeKeys } = deps.options;
      const body = await decompress(raw, req.headers['content-encoding'], maxDecompressedBytes, maxDecompressionRatio);
      let decoded: DecodedBatch;
      if (type === 'protobuf') decoded = decodeOtlpProtobuf(body, limits, attributeKeys);
      else {
        // JSON text must be UTF-8 (RFC 8259); decoding it anyway would silently store replacement characters.
        if (!isUtf8(body)) throw new InvalidPayloadError('the JSON body is not valid UTF-8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch (error) {
          throw new InvalidPayloadError(`body is not valid JSON: ${(error as Error).message}`);
        }
        decoded = decodeOtlpJson(parsed, limits);
      }
      const result = await deps.accept(decoded, { body, contentType: type });
      if (result.refuse) {
        sendError(res, type, result.refuse.status, result.refuse.message, retryHeaders(result.refuse));
        return;
      }
      const rejected = decoded.rejected.length;
      const message = rejectionMessage(decoded);
      if (rejected > 0) deps.onRejected?.(rejected, 'invalid span');
      if (type === 'protobuf') send(res, 200, 'protobuf', exportResponseProtobuf(rejected, message));
      else
        send(
          res,
          200,
          'json',
          rejected > 0 ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } } : {},
        );
    } catch (error) {
      if (error instanceof HttpError) {
        deps.onRejected?.(0, `http ${error.status}`);
        sendError(res, type, error.status, error.message, error.headers);
      } else if (error instanceof InvalidPayloadError) {
        deps.onRejected?.(0, error.status === 413 ? 'too many spans' : 'invalid payload');
        sendError(res, type, error.status, error.message);
      } else throw error;
    }
  };
}
