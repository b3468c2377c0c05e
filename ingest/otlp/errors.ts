/** A request body that is not a trace payload at all (as opposed to one with a few bad spans). */
export class InvalidPayloadError extends Error {
  /** 400, or 413 when the payload is well-formed but holds more than a limit allows */
  readonly status: number;

  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = 'InvalidPayloadError';
    this.status = options?.status ?? 400;
  }
}

export function tooManySpans(max: number): InvalidPayloadError {
  return new InvalidPayloadError(`the request holds more than ${max} spans; send smaller batches`, { status: 413 });
}
