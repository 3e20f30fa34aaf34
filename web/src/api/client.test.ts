import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, errorFromResponse, queryString, toApiError } from './client';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function clientWith(fetchImpl: typeof fetch, token: string | null = 'tok-123') {
  const onUnauthorized = vi.fn();
  const client = new ApiClient({ getToken: () => token, onUnauthorized, fetchImpl });
  return { client, onUnauthorized };
}

describe('errorFromResponse', () => {
  it('maps the API error body to code, message, details and request id', async () => {
    const err = await errorFromResponse(
      json(
        422,
        { error: { code: 'validation_failed', message: 'request body failed validation', details: [{ loc: ['body', 'shipping_address', 'address1'], msg: 'Field required', type: 'missing' }] } },
        { 'X-Request-Id': 'req-9' },
      ),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation_failed');
    expect(err.message).toBe('request body failed validation');
    expect(err.requestId).toBe('req-9');
    expect(err.problems).toEqual(['shipping_address.address1: Field required']);
    expect(err.describe()).toBe('request body failed validation (validation_failed, HTTP 422)');
  });

  it('lists object details (a conflict names what is allowed)', async () => {
    const err = await errorFromResponse(
      json(409, { error: { code: 'illegal_transition', message: 'An order in DELIVERED cannot move to CANCELLED', details: { current_status: 'DELIVERED', allowed: ['REFUNDED', 'RETURNED'] } } }),
    );
    expect(err.problems).toEqual(['current_status: DELIVERED', 'allowed: ["REFUNDED","RETURNED"]']);
  });

  it('gives words to an answer that is not the API shape (a proxy error page)', async () => {
    const err = await errorFromResponse(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(err.code).toBe('http_502');
    expect(err.message).toBe('The server is unreachable');
  });

  it('keeps a short plain-text body in the message', async () => {
    const err = await errorFromResponse(new Response('upstream timed out', { status: 504, statusText: 'Gateway Timeout' }));
    expect(err.code).toBe('http_504');
    expect(err.message).toBe('Gateway Timeout: upstream timed out');
  });
});

describe('ApiClient', () => {
  it('sends the bearer token, JSON body and query, and parses the answer', async () => {
    const fetchImpl = vi.fn(async () => json(201, { id: 'o1' }));
    const { client } = clientWith(fetchImpl as unknown as typeof fetch);
    const answer = await client.request<{ id: string }>('POST', '/orders', {
      body: { channel: 'WEB' },
      query: { dry: true, empty: '', missing: undefined },
      headers: { 'Idempotency-Key': 'k1' },
    });
    expect(answer).toEqual({ id: 'o1' });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/orders?dry=true');
    const headers = init.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer tok-123');
    expect(headers['Idempotency-Key']).toBe('k1');
    expect(headers['Content-Type']).toBe('application/json');
    expect(init.body).toBe('{"channel":"WEB"}');
    expect(init.credentials).toBe('same-origin');
  });

  it('sends no Authorization header on anonymous calls or without a session', async () => {
    const fetchImpl = vi.fn(async () => json(200, { ok: true }));
    const { client } = clientWith(fetchImpl as unknown as typeof fetch);
    await client.request('POST', '/auth/login', { body: {}, anonymous: true });
    const noSession = clientWith(fetchImpl as unknown as typeof fetch, null).client;
    await noSession.get('/health');
    for (const call of fetchImpl.mock.calls as unknown as [string, RequestInit][]) {
      expect((call[1].headers as Record<string, string>).Authorization).toBeUndefined();
    }
  });

  it('throws ApiError on a 4xx and tells the session about a 401', async () => {
    const fetchImpl = vi.fn(async () => json(401, { error: { code: 'token_expired', message: 'the token has expired' } }));
    const { client, onUnauthorized } = clientWith(fetchImpl as unknown as typeof fetch);
    const err = await client.get('/orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('token_expired');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect((onUnauthorized.mock.calls[0][0] as ApiError).message).toBe('the token has expired');
  });

  it('does not end the session for a 401 of the login call itself (wrong password)', async () => {
    const fetchImpl = vi.fn(async () => json(401, { error: { code: 'invalid_credentials', message: 'wrong email or password' } }));
    const { client, onUnauthorized } = clientWith(fetchImpl as unknown as typeof fetch);
    await expect(client.request('POST', '/auth/login', { body: {}, anonymous: true })).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('does not end the session for a 403 (the role may not)', async () => {
    const fetchImpl = vi.fn(async () => json(403, { error: { code: 'forbidden', message: 'needs SUPERADMIN' } }));
    const { client, onUnauthorized } = clientWith(fetchImpl as unknown as typeof fetch);
    await expect(client.post('/inventory/transfer', {})).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('turns a network failure into network_error', async () => {
    const fetchImpl = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const { client } = clientWith(fetchImpl as unknown as typeof fetch);
    await expect(client.get('/orders')).rejects.toMatchObject({ status: 0, code: 'network_error', message: 'Could not reach the API (Failed to fetch)' });
  });

  it('answers null for 204', async () => {
    const fetchImpl = vi.fn(async () => new Response(null, { status: 204 }));
    const { client } = clientWith(fetchImpl as unknown as typeof fetch);
    expect(await client.del('/sourcing-rules/r1')).toBeNull();
  });

  it('accepts a listed non-2xx report but still throws an error body', async () => {
    const report = { status: 'degraded', checks: [{ name: 'carrier_dlq', ok: false, detail: '3 waiting' }] };
    const okReport = clientWith((async () => json(503, report)) as unknown as typeof fetch).client;
    expect(await okReport.request('GET', '/health', { acceptStatuses: [503] })).toEqual(report);
    const busy = clientWith((async () => json(503, { error: { code: 'service_unavailable', message: 'busy' } })) as unknown as typeof fetch).client;
    await expect(busy.request('GET', '/health', { acceptStatuses: [503] })).rejects.toMatchObject({ code: 'service_unavailable', message: 'busy' });
  });
});

describe('queryString and toApiError', () => {
  it('skips empty values and repeats arrays', () => {
    expect(queryString({ q: 'alice smith', status: ['A', 'B'], empty: '', none: null, n: 0 })).toBe('?q=alice+smith&status=A&status=B&n=0');
    expect(queryString({})).toBe('');
  });
  it('wraps any thrown value', () => {
    expect(toApiError(new Error('boom'))).toMatchObject({ code: 'client_error', message: 'boom', status: 0 });
    expect(toApiError('text')).toMatchObject({ message: 'text' });
  });
});
