// The navigation's stock-alert badge: the OPEN count (low + out of stock) from
// GET /inventory/alerts?state=OPEN&limit=1, read again on every navigation and every 60 s.
// Hidden at 0, and hidden without a word where the API has no such route (a 404).

import { useLocation } from 'react-router-dom';
import { alerts } from '../api/alerts';
import { useLoad } from './hooks';

export const ALERT_POLL_MS = 60_000;

export function useOpenAlertCount(enabled: boolean): number {
  const { pathname } = useLocation();
  const loaded = useLoad(() => (enabled ? alerts.openCount() : Promise.resolve(0)), [enabled, pathname], enabled ? ALERT_POLL_MS : undefined);
  if (loaded.error?.status === 404) return 0;
  return loaded.data ?? 0;
}
