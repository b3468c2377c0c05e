/** A request body that is not a trace payload at all (as opposed to one with a few bad spans). */
export class InvalidPayloadError extends Error {
  readonly status = 400;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidPayloadError';
  }
}
