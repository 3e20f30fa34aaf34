// An order's status as the tenant names and colours it (GET /workflow/statuses); the built-in
// name and tone when the tenant's statuses are not known.

import { humanize, tone } from '../format';
import { lookUp, safeColor, useStatuses } from '../lib/tenantLook';
import type { CSSProperties } from 'react';

export function StatusBadge({ phase, code, testid }: { phase: string | null | undefined; code?: string | null; testid?: string }) {
  const book = useStatuses();
  const found = lookUp(book, code, phase);
  const color = safeColor(found?.color);
  const shown = found ? found.code : phase || code;
  if (!shown) return <span className="badge badge-neutral">—</span>;
  const style = color ? ({ '--status-color': color } as CSSProperties) : undefined;
  return (
    <span
      className={color ? 'badge badge-custom' : `badge badge-${tone(phase)}`}
      style={style}
      data-testid={testid}
      data-value={phase ?? shown}
      data-code={found?.code ?? phase ?? code ?? ''}
    >
      {found?.name ?? humanize(shown)}
    </span>
  );
}
