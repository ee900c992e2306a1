import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };

/** An RFC 9457 problem from the API, thrown so screens can show `detail` and switch on `code`. */
export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: Array<{ pointer?: string; message?: string }> = [],
  ) {
    super(detail ?? title);
  }

  /** A message a person can act on: the server's detail, else its title. */
  get userMessage(): string {
    const first = this.errors[0];
    if (this.code === 'VALIDATION_FAILED' && first?.message)
      return `${this.detail ?? this.title} (${first.pointer ?? 'input'}: ${first.message})`;
    return this.detail ?? this.title;
  }
}

type Listener = (problem: ProblemError) => void;
const sessionEndedListeners = new Set<Listener>();

/** Called when any request finds the session gone (expired, revoked, idle): the app returns to sign-in. */
export function onSessionEnded(listener: Listener): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

const SESSION_GONE = new Set(['AUTHENTICATION_REQUIRED', 'SESSION_EXPIRED']);

/** Builds the problem from a parsed body (openapi-fetch has already read it) and the response. */
export function problemFrom(response: Response, parsed: unknown): ProblemError {
  const body = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  return new ProblemError(
    response.status,
    typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
    typeof body.title === 'string' ? body.title : response.statusText || 'Request failed',
    typeof body.detail === 'string' ? body.detail : undefined,
    Array.isArray(body.errors) ? (body.errors as ProblemError['errors']) : [],
  );
}

/** Reads the problem from a response whose body nobody has consumed yet. */
export async function toProblem(response: Response): Promise<ProblemError> {
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    // A non-JSON failure (proxy page, network) keeps the HTTP status as its message.
  }
  return problemFrom(response, body);
}

const sessionWatch: Middleware = {
  async onResponse({ response, request }) {
    if (response.status !== 401 || new URL(request.url).pathname.startsWith('/v1/auth/')) return;
    const problem = await toProblem(response);
    if (SESSION_GONE.has(problem.code)) for (const l of sessionEndedListeners) l(problem);
  },
};

/** Typed client for the Bulwark API, generated from /openapi.json; the session rides in its cookie. */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(sessionWatch);

/** Returns the data of an openapi-fetch result or throws its problem. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  // openapi-fetch has parsed the body into `error` already; the response body is spent.
  if (error !== undefined || !response.ok) throw problemFrom(response, error);
  return data as T;
}

/** For endpoints that answer 204 (no body). */
export async function expectOk(call: Promise<{ error?: unknown; response: Response }>): Promise<void> {
  const { error, response } = await call;
  if (error !== undefined || !response.ok) throw problemFrom(response, error);
}

export const messageOf = (e: unknown): string =>
  e instanceof ProblemError ? e.userMessage : e instanceof Error ? e.message : String(e);
