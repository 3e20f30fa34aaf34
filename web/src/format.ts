// Formatting helpers: money (strings with 2 decimals from the API), counts, rates, times, statuses.

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** "1234.5", "USD" -> "$1,234.50"; an unknown currency code still shows its code. */
export function money(amount: string | number | null | undefined, currency = 'USD'): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const value = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(value)) return String(amount);
  let fmt = moneyFormats.get(currency);
  if (!fmt) {
    try {
      fmt = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      fmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    moneyFormats.set(currency, fmt);
  }
  return fmt.format(value);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export function count(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : integer.format(n);
}

/** A fraction 0..1 as a percentage ("12.5%"); null (no denominator) as "—". */
export function pct(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A value that is already a percentage (e.g. utilization_pct 12.5) as "12.5%". */
export function pctValue(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value.toFixed(digits)}%`;
}

export function score(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

export function km(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value >= 100 ? `${integer.format(value)} km` : `${value.toFixed(1)} km`;
}

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2026-11-29T10:00:00Z" -> "Nov 29, 10:00:00" in the viewer's zone (UTC in tests). */
export function dateTime(iso: string | null | undefined, timeZone?: string): string {
  const d = parse(iso);
  if (!d) return iso ? String(iso) : '—';
  return d.toLocaleString('en-US', {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone,
  });
}

export function dateOnly(iso: string | null | undefined, timeZone?: string): string {
  const d = parse(iso);
  if (!d) return iso ? String(iso) : '—';
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone });
}

/** How long ago, in words: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  const d = parse(iso);
  if (!d) return '—';
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const ACRONYMS = /\b(ai|api|pos|dlq|sku|dc|bopis|id)\b/g;

/** "READY_TO_SHIP" -> "Ready to ship"; "order.partially_shipped" -> "Order partially shipped". */
export function humanize(value: string | null | undefined): string {
  if (!value) return '';
  const words = value.replace(/[._]+/g, ' ').trim().toLowerCase().replace(ACRONYMS, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

const TONES: Record<string, Tone> = {
  DELIVERED: 'ok', PICKED_UP: 'ok', SOURCED: 'info', PICKING: 'info', PACKING: 'info', READY_TO_SHIP: 'info',
  READY_FOR_PICKUP: 'info', SHIPPED: 'info', PARTIALLY_SHIPPED: 'info', OUT_FOR_DELIVERY: 'info',
  PARTIALLY_DELIVERED: 'info', PENDING: 'neutral', CONFIRMED: 'neutral', SOURCING: 'neutral',
  BACKORDERED: 'warn', PARTIALLY_RETURNED: 'warn', RETURNED: 'warn', REFUNDED: 'warn', CANCELLED: 'bad', FAILED: 'bad',
  ACTIVE: 'ok', INACTIVE: 'neutral', MAINTENANCE: 'warn', CLOSED: 'bad', PAUSED: 'warn', COMPLETED: 'ok',
  APPROVED: 'info', APPLIED: 'ok', REJECTED: 'bad', ROLLED_BACK: 'warn', ERROR: 'bad',
  DEAD: 'bad', RETRYING: 'warn',
  REQUESTED: 'neutral', PARTIALLY_RECEIVED: 'info', RECEIVED: 'info', EXCHANGED: 'ok', CREDITED: 'ok',
  LOW_STOCK: 'warn', OUT_OF_STOCK: 'bad', OPEN: 'warn', RESOLVED: 'ok', DONE: 'ok', success: 'ok', failure: 'bad', retry: 'warn', skipped: 'neutral',
};

export function tone(status: string | null | undefined): Tone {
  return (status && TONES[status]) || 'neutral';
}

/** Short form of a UUID for tables ("d6e06f53…"). */
export function shortId(id: string | null | undefined): string {
  if (!id) return '—';
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** YYYY-MM-DD of a day `offset` days from `now` (UTC). */
export function isoDay(offsetDays = 0, now: Date = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offsetDays));
  return d.toISOString().slice(0, 10);
}
