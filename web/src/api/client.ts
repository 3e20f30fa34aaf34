// The HTTP client every page uses: same-origin relative paths, the bearer token from the session,
// errors turned into ApiError (the API's `{"error": {"code", "message", "details"}}` in words),
// and a 401 on an authenticated call ends the session.

export interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** An error the API answered (or the network failure that stopped a call). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, details: unknown = null, requestId: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** The problems listed in `details` (validation errors: `loc` and `msg`), one line each. */
  get problems(): string[] {
    const details = this.details;
    if (!Array.isArray(details)) {
      if (details && typeof details === 'object') {
        return Object.entries(details as Record<string, unknown>)
          .filter(([k]) => k !== 'request_id')
          .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      }
      return [];
    }
    return details.map((d) => {
      if (d && typeof d === 'object') {
        const item = d as { loc?: unknown; msg?: unknown; path?: unknown; message?: unknown };
        const where = Array.isArray(item.loc)
          ? item.loc.filter((p) => p !== 'body' && p !== 'query').join('.')
          : typeof item.path === 'string'
            ? item.path
            : '';
        const what = typeof item.msg === 'string' ? item.msg : typeof item.message === 'string' ? item.message : JSON.stringify(d);
        return where ? `${where}: ${what}` : what;
      }
      return String(d);
    });
  }

  /** One line for a banner: the message, the code and the HTTP status. */
  describe(): string {
    const status = this.status ? `HTTP ${this.status}` : 'no answer';
    return `${this.message} (${this.code}, ${status})`;
  }
}

/** Any thrown value as an ApiError, so the banner always has words to show. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof Error) return new ApiError(0, 'client_error', err.message);
  return new ApiError(0, 'client_error', String(err));
}

const GENERIC: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'Sign in again: the session is not valid',
  403: 'Your role may not do this',
  404: 'Not found',
  409: 'Conflict with the current state',
  422: 'The request failed validation',
  429: 'Too many requests; wait a moment',
  500: 'The server failed',
  502: 'The server is unreachable',
  503: 'The service is unavailable',
};

/** The ApiError for a non-2xx answer: the API's error body when there is one, else a generic one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id');
  let text = '';
  try {
    text = await response.text();
  } catch {
    text = '';
  }
  let body: ErrorBody | null = null;
  try {
    body = text ? (JSON.parse(text) as ErrorBody) : null;
  } catch {
    body = null;
  }
  const err = body && typeof body === 'object' ? body.error : undefined;
  if (err && typeof err === 'object') {
    const code = typeof err.code === 'string' && err.code ? err.code : `http_${response.status}`;
    const message =
      typeof err.message === 'string' && err.message ? err.message : GENERIC[response.status] ?? response.statusText;
    return new ApiError(response.status, code, message, err.details ?? null, requestId);
  }
  const fallback = GENERIC[response.status] ?? (response.statusText || 'Request failed');
  const excerpt = text && !text.trimStart().startsWith('<') ? `: ${text.slice(0, 200)}` : '';
  return new ApiError(response.status, `http_${response.status}`, fallback + excerpt, null, requestId);
}

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

/** `?a=1&b=x` from the defined, non-empty values (arrays repeat the name). */
export function queryString(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Calls made without a session (login): no token, and a 401 is just an error. */
  anonymous?: boolean;
  /** Non-2xx statuses whose body is the answer (the deep health check's 503 report). */
  acceptStatuses?: number[];
}

export interface ClientConfig {
  getToken: () => string | null;
  onUnauthorized: (err: ApiError) => void;
  fetchImpl?: typeof fetch;
  baseUrl?: string;
}

export class ApiClient {
  private readonly config: ClientConfig;

  constructor(config: ClientConfig) {
    this.config = config;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...(options.headers ?? {}) };
    const token = options.anonymous ? null : this.config.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const url = `${this.config.baseUrl ?? ''}${path}${queryString(options.query)}`;
    const doFetch = this.config.fetchImpl ?? globalThis.fetch.bind(globalThis);
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        body,
        signal: options.signal,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      const reason = e instanceof Error ? e.message : String(e);
      throw new ApiError(0, 'network_error', `Could not reach the API (${reason})`);
    }
    if (!response.ok && !(options.acceptStatuses ?? []).includes(response.status)) {
      const err = await errorFromResponse(response);
      if (response.status === 401 && !options.anonymous) this.config.onUnauthorized(err);
      throw err;
    }
    if (response.status === 204) return null as T;
    const text = await response.text();
    if (!text) return null as T;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'invalid_response', 'The API answered something that is not JSON');
    }
    if (!response.ok && parsed && typeof parsed === 'object' && 'error' in parsed) {
      // an accepted status that carries an error after all
      throw await errorFromResponse(new Response(text, { status: response.status, headers: response.headers }));
    }
    return parsed as T;
  }

  /** A file the API answers (CSV): the body as a Blob, fetched with the session's token. */
  async blob(path: string, accept = 'text/csv'): Promise<Blob> {
    const headers: Record<string, string> = { Accept: accept };
    const token = this.config.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const doFetch = this.config.fetchImpl ?? globalThis.fetch.bind(globalThis);
    let response: Response;
    try {
      response = await doFetch(`${this.config.baseUrl ?? ''}${path}`, { method: 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new ApiError(0, 'network_error', `Could not reach the API (${reason})`);
    }
    if (!response.ok) {
      const err = await errorFromResponse(response);
      if (response.status === 401) this.config.onUnauthorized(err);
      throw err;
    }
    return response.blob();
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }

  post<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  del<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** A path segment, encoded (ids and SKUs come from data). */
export const seg = (value: string): string => encodeURIComponent(value);
