/** The API's problem+json, kept whole so that each page can put a field's message beside that
 * field and everything else in a banner. */
export type FieldError = { field: string; message: string };

export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail: string,
    public errors: FieldError[] = [],
    public retryAfter?: number,
  ) {
    super(detail || title);
  }

  /** Messages keyed by field name, for forms. */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) out[e.field] ??= e.message;
    return out;
  }
}

export async function parseError(res: Response): Promise<ApiError> {
  const retry = Number(res.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  let body: { title?: string; detail?: string; message?: string; errors?: FieldError[] } = {};
  try {
    body = await res.json();
  } catch {
    /* not JSON: the status says enough */
  }
  return new ApiError(
    res.status,
    body.title ?? res.statusText ?? "Error",
    body.detail ?? body.message ?? "",
    Array.isArray(body.errors) ? body.errors : [],
    retryAfter,
  );
}

/** One sentence a person can act on, for any failure. */
export function describe(e: unknown): string {
  if (!(e instanceof ApiError)) {
    return e instanceof Error ? `Could not reach the API: ${e.message}` : "Something went wrong.";
  }
  const detail = e.detail ? ` ${e.detail}` : "";
  switch (e.status) {
    case 401:
      return "Your session has ended. Sign in again.";
    case 403:
      return `Not allowed (403): your role cannot do this.${detail}`;
    case 404:
      return `Not found (404): it may have been deleted.${detail}`;
    case 409:
      return `Not possible in its current state (409).${detail}`;
    case 429:
      return `Too many requests (429). Try again in ${e.retryAfter ?? 1} s.`;
    case 503:
      return `The service is unavailable (503). Try again in ${e.retryAfter ?? 5} s.`;
    default:
      return `${e.title} (${e.status}).${detail}`;
  }
}
