// The order's audit trail (GET /orders/{id}/events), oldest first, a page at a time.

import { useEffect, useState } from 'react';
import { orders, toApiError, type ApiError, type AuditEvent } from '../../api';
import { dateTime, humanize } from '../../format';
import { LoadError } from '../ui';

export function AuditTrail({ orderId, version }: { orderId: string; version: number }) {
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);

  async function load(from: string | null, append: boolean) {
    setLoading(true);
    try {
      const page = await orders.events(orderId, from, 50);
      setItems((prev) => (append ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    void load(null, false);
    // reload when the order changed (its version moved)
  }, [orderId, version]);

  return (
    <div data-testid="order-audit">
      <LoadError error={error} what="the audit trail" />
      <table className="table table-compact">
        <thead>
          <tr><th>#</th><th>Event</th><th>When</th><th>Who</th><th>Change</th><th>Data</th></tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.seq} data-testid="audit-row" data-type={e.type}>
              <td className="muted">{e.seq}</td>
              <td>{humanize(e.type)}</td>
              <td className="small">{dateTime(e.at)}</td>
              <td className="small">{e.actor}</td>
              <td className="small">{e.from_status || e.to_status ? `${humanize(e.from_status ?? '') || '—'} → ${humanize(e.to_status ?? '')}` : ''}</td>
              <td className="small">{e.data && Object.keys(e.data).length ? <code className="json">{JSON.stringify(e.data)}</code> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" className="btn btn-small" disabled={loading} onClick={() => load(cursor, true)} data-testid="audit-more">
          Load more
        </button>
      )}
    </div>
  );
}
