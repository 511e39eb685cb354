/**
 * The REST error contract (design.md §6): every error answer is `{"error","message","detail"}` with one of a
 * fixed set of codes, each tied to its HTTP status.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  verifier_rejected: 422,
  unsupported: 422,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly detail: unknown = null) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number { return ERROR_STATUS[this.code]; }

  toJSON(): { error: ErrorCode; message: string; detail: unknown } {
    return { error: this.code, message: this.message, detail: this.detail };
  }
}

export const notFound = (what: string, id: string): ApiError => new ApiError('not_found', `no ${what} '${id}'`, { [what]: id });
export const badRequest = (message: string, detail: unknown = null): ApiError => new ApiError('bad_request', message, detail);
export const conflict = (message: string, detail: unknown = null): ApiError => new ApiError('conflict', message, detail);
