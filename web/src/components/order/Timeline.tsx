// The order's status history, oldest first.

import type { StatusChange } from '../../api';
import { dateTime, humanize, tone } from '../../format';
import { lookUp, useStatuses } from '../../lib/tenantLook';

export function Timeline({ history }: { history: StatusChange[] }) {
  const book = useStatuses(); // the tenant's names of its statuses
  return (
    <ol className="timeline" data-testid="order-timeline">
      {history.map((h, i) => (
        <li key={`${h.status}-${h.at}-${i}`} className={`timeline-item tone-${tone(h.status)}`} data-testid="timeline-item" data-status={h.status} data-code={h.code ?? h.status}>
          <span className="timeline-dot" aria-hidden="true" />
          <div>
            <strong>{lookUp(book, h.code, h.status)?.name ?? humanize(h.status)}</strong> <span className="muted small">{dateTime(h.at)}</span>
            <div className="small muted">by {h.actor}</div>
            {h.reason && <div className="small">{h.reason}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}
