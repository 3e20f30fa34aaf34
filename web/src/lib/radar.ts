// The SLA radar's pure logic: severity order and tones, the exceptions filters as a query, and the
// geometry of an order's timeline against its deadlines (drawn by pages/radar/TimelineChart).

import type { ExceptionFilters } from '../api/sla';
import type { OrderTimeline, SlaException } from '../api/types';
import { MILESTONES, SEVERITIES } from '../api/types-radar';
import type { Tone } from '../format';

const RANK: Record<string, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));

/** CRITICAL first, then HIGH, MEDIUM, LOW; an unknown severity last. */
export function severityRank(severity: string | null | undefined): number {
  return severity && severity in RANK ? RANK[severity] : SEVERITIES.length;
}

export function severityTone(severity: string | null | undefined): Tone {
  switch (severity) {
    case 'CRITICAL':
    case 'HIGH':
      return 'bad';
    case 'MEDIUM':
      return 'warn';
    case 'LOW':
      return 'info';
    default:
      return 'neutral';
  }
}

export function statusTone(status: string | null | undefined): Tone {
  return status === 'OPEN' ? 'bad' : status === 'ACKNOWLEDGED' ? 'warn' : status === 'RESOLVED' ? 'ok' : 'neutral';
}

/** Most severe first; the same severity: the most overdue first, then the oldest. */
export function bySeverity<T extends Pick<SlaException, 'severity' | 'created_at'> & { late_minutes?: number | null }>(items: T[]): T[] {
  return [...items].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      (b.late_minutes ?? 0) - (a.late_minutes ?? 0) ||
      a.created_at.localeCompare(b.created_at),
  );
}

/** The severity cards: every known severity (zero when absent) in order, then any other key. */
export function severityCards(counts: Record<string, number> | null | undefined): { severity: string; count: number }[] {
  const c = counts ?? {};
  const known = SEVERITIES.map((s) => ({ severity: s as string, count: c[s] ?? 0 }));
  const other = Object.keys(c)
    .filter((k) => !(k in RANK))
    .sort()
    .map((k) => ({ severity: k, count: c[k] }));
  return [...known, ...other];
}

/** Labels by how many open exceptions carry them, most first (ties by name). */
export function labelRows(counts: Record<string, number> | null | undefined): { label: string; count: number }[] {
  return Object.entries(counts ?? {})
    .filter(([, n]) => n > 0)
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** The filter form as the page keeps it (dates as YYYY-MM-DD from date inputs). */
export interface ExceptionFilterForm {
  label: string;
  severity: string;
  status: string;
  order_ref: string;
  from: string;
  to: string;
}

export const NO_FILTERS: ExceptionFilterForm = { label: '', severity: '', status: '', order_ref: '', from: '', to: '' };

/** The form as GET /exceptions' query: empty fields left out, days as a UTC created_at range
 * (`to` inclusive: up to the day's last millisecond). */
export function exceptionQuery(form: ExceptionFilterForm, limit: number, cursor?: string): ExceptionFilters {
  const q: ExceptionFilters = { limit };
  if (form.label) q.label = form.label;
  if (form.severity) q.severity = form.severity;
  if (form.status) q.status = form.status;
  const ref = form.order_ref.trim();
  if (ref) q.order_ref = ref;
  if (/^\d{4}-\d{2}-\d{2}$/.test(form.from)) q.since = `${form.from}T00:00:00Z`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(form.to)) q.until = `${form.to}T23:59:59.999Z`;
  if (cursor) q.cursor = cursor;
  return q;
}

/** The form from the page's URL search parameters (so a filtered view can be linked). */
export function filtersFrom(params: URLSearchParams): ExceptionFilterForm {
  return {
    label: params.get('label') ?? '',
    severity: params.get('severity') ?? '',
    status: params.get('status') ?? '',
    order_ref: params.get('order_ref') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

/** How an order is named to people: its number, its external id, or the ref itself. */
export function orderName(e: Pick<SlaException, 'order_ref' | 'order_number' | 'external_order_id'>): string {
  return e.order_number || e.external_order_id || e.order_ref;
}

/** "14 min", "2 h 5 min", "3 d 4 h". */
export function minutes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const m = Math.round(value);
  if (Math.abs(m) < 60) return `${m} min`;
  if (Math.abs(m) < 24 * 60) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const h = Math.floor(m / 60);
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

// ------------------------------------------------------------------ timeline geometry
export const LATE_STATES = new Set(['late', 'breached']);

export interface TimelinePoint {
  milestone: string;
  x: number;
  y: number;
  at: string;
  state: string;
  late: boolean;
}
export interface DeadlineMark {
  milestone: string;
  x: number;
  y: number;
  deadline: string;
  missed: boolean;
}
export interface TimelineRow {
  milestone: string;
  y: number;
  state: string;
}
export interface TimelineGeometry {
  width: number;
  height: number;
  left: number;
  right: number;
  start: number;
  end: number;
  rows: TimelineRow[];
  points: TimelinePoint[];
  deadlines: DeadlineMark[];
  now: { x: number } | null;
  ticks: { x: number; at: number }[];
}

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

/** Where each milestone and deadline sits: time runs left to right from the clock start to the
 * latest of the events, the deadlines and `now` (when the order is still open); one row per
 * milestone in the radar's order. A milestone that came after its deadline (or never came and
 * the deadline passed) is late. */
export function timelineGeometry(t: OrderTimeline, now: number, width = 720, rowH = 30): TimelineGeometry {
  const left = 130;
  const right = width - 20;
  const top = 24;
  const order = (m: string) => {
    const i = (MILESTONES as readonly string[]).indexOf(m);
    return i < 0 ? MILESTONES.length : i;
  };
  const milestones = [...t.milestones].sort((a, b) => order(a.milestone) - order(b.milestone));
  const times: number[] = [];
  for (const m of milestones) {
    for (const v of [ms(m.at), ms(m.deadline)]) if (v !== null) times.push(v);
  }
  const clock = ms(t.clock_started_at);
  if (clock !== null) times.push(clock);
  const open = milestones.some((m) => !m.at && m.deadline);
  if (open) times.push(now);
  const start = clock ?? (times.length ? Math.min(...times) : now);
  let end = times.length ? Math.max(...times) : start;
  if (end <= start) end = start + 60_000;
  const span = end - start;
  const x = (v: number) => left + ((v - start) / span) * (right - left);
  const rows = milestones.map((m, i) => ({ milestone: m.milestone, y: top + i * rowH + rowH / 2, state: m.state }));
  const points: TimelinePoint[] = [];
  const deadlines: DeadlineMark[] = [];
  milestones.forEach((m, i) => {
    const y = rows[i].y;
    const at = ms(m.at);
    const dl = ms(m.deadline);
    const lateByTime = at !== null && dl !== null && at > dl;
    if (at !== null) points.push({ milestone: m.milestone, x: x(at), y, at: m.at as string, state: m.state, late: LATE_STATES.has(m.state) || lateByTime });
    if (dl !== null) {
      const missed = LATE_STATES.has(m.state) || lateByTime || (at === null && dl < now);
      deadlines.push({ milestone: m.milestone, x: x(dl), y, deadline: m.deadline as string, missed });
    }
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ x: left + f * (right - left), at: start + f * span }));
  return {
    width, height: top + milestones.length * rowH + 28, left, right, start, end, rows, points, deadlines,
    now: open && now >= start && now <= end ? { x: x(now) } : null, ticks,
  };
}

/** A span of time in the largest sensible unit for the axis ("+2 h", "+1 d 4 h"). */
export function offsetLabel(fromMs: number, atMs: number): string {
  const m = Math.round((atMs - fromMs) / 60000);
  return m === 0 ? '0' : `+${minutes(m)}`;
}

// ------------------------------------------------------------------ policy form
/** A multiplier's `when.value` from what was typed: booleans for `weekend`, integers for
 * `line_count`, lists for IN/NOT_IN, strings otherwise (amounts stay decimal strings). */
export function multiplierValue(field: string, operator: string, text: string): unknown {
  const one = (t: string): unknown => {
    const s = t.trim();
    if (field === 'weekend') return s.toLowerCase() === 'true' || s === '1' || s.toLowerCase() === 'yes';
    if (field === 'line_count' && /^-?\d+$/.test(s)) return Number(s);
    return s;
  };
  if (operator === 'IN' || operator === 'NOT_IN') return text.split(',').map((t) => t.trim()).filter(Boolean).map(one);
  return one(text);
}

/** The problems of a policy form, in words (empty: it may be sent). */
export function policyProblems(p: { pick_minutes: number; pack_minutes: number; ship_minutes: number; delivery_hours: number; warning_pct: number; critical_pct: number; multipliers: { factor: number }[] }): string[] {
  const out: string[] = [];
  for (const k of ['pick_minutes', 'pack_minutes', 'ship_minutes', 'delivery_hours'] as const) {
    if (!Number.isFinite(p[k]) || p[k] <= 0) out.push(`${k} must be a positive number`);
  }
  if (!(p.warning_pct > 0 && p.warning_pct < 100)) out.push('warning_pct must be between 0 and 100');
  if (!(p.critical_pct >= 100)) out.push('critical_pct must be at least 100');
  p.multipliers.forEach((m, i) => {
    if (!Number.isFinite(m.factor) || m.factor <= 0) out.push(`multiplier ${i + 1}: factor must be positive`);
  });
  return out;
}
