// A failed return action in place: the server's message, its code, what the code means, and the
// problems in `details` (an over_return names the SKU and the counts).

import type { ApiError } from '../../api/client';
import { errorHint } from '../../lib/returns';

export function ReturnError({ error, testid = 'return-error' }: { error: ApiError | null; testid?: string }) {
  if (!error) return null;
  const hint = errorHint(error);
  return (
    <div className="load-error" role="alert" data-testid={testid} data-code={error.code}>
      <strong data-testid={`${testid}-message`}>{error.message}</strong>{' '}
      <code>{error.code}{error.status ? ` · HTTP ${error.status}` : ''}</code>
      {hint && <div className="small">{hint}</div>}
      {error.problems.length > 0 && (
        <ul className="banner-problems">
          {error.problems.slice(0, 6).map((p, i) => <li key={i}>{p}</li>)}
        </ul>
      )}
    </div>
  );
}
