import { describe, expect, it } from 'vitest';
import { queryString } from '../api/client';
import type { OrderTimeline } from '../api/types';
import {
  bySeverity, exceptionQuery, filtersFrom, labelRows, minutes, multiplierValue, NO_FILTERS, policyProblems, severityCards,
  severityRank, timelineGeometry,
} from './radar';

describe('severity order', () => {
  it('puts CRITICAL first and unknown severities last', () => {
    expect(['LOW', 'WHAT', 'CRITICAL', 'MEDIUM', 'HIGH'].sort((a, b) => severityRank(a) - severityRank(b))).toEqual([
      'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'WHAT',
    ]);
  });

  it('sorts exceptions by severity, then the most overdue, then the oldest', () => {
    const e = (id: string, severity: string, late: number | null, created: string) => ({ id, severity, late_minutes: late, created_at: created });
    const sorted = bySeverity([
      e('a', 'MEDIUM', 10, '2026-11-29T10:00:00Z'),
      e('b', 'CRITICAL', 5, '2026-11-29T11:00:00Z'),
      e('c', 'MEDIUM', 40, '2026-11-29T12:00:00Z'),
      e('d', 'MEDIUM', 10, '2026-11-29T09:00:00Z'),
      e('f', 'HIGH', null, '2026-11-29T09:00:00Z'),
    ]);
    expect(sorted.map((x) => x.id)).toEqual(['b', 'f', 'c', 'd', 'a']);
  });

  it('makes a card per severity, zero when the radar has none, extra keys after', () => {
    expect(severityCards({ HIGH: 2, MEDIUM: 7, ODD: 1 })).toEqual([
      { severity: 'CRITICAL', count: 0 }, { severity: 'HIGH', count: 2 }, { severity: 'MEDIUM', count: 7 },
      { severity: 'LOW', count: 0 }, { severity: 'ODD', count: 1 },
    ]);
    expect(severityCards(null)).toHaveLength(4);
  });

  it('orders labels by count, dropping zeros', () => {
    expect(labelRows({ PICK_DELAY: 3, CARRIER_ISSUE: 5, STOCK_OUT: 3, OTHER: 0 })).toEqual([
      { label: 'CARRIER_ISSUE', count: 5 }, { label: 'PICK_DELAY', count: 3 }, { label: 'STOCK_OUT', count: 3 },
    ]);
  });
});

describe('filters to the query string', () => {
  it('leaves out empty fields and sends the days as a UTC created_at range', () => {
    const q = exceptionQuery({ ...NO_FILTERS, severity: 'HIGH', status: 'OPEN', order_ref: ' ext:SO-1 ', from: '2026-11-01', to: '2026-11-30' }, 25, 'c2');
    expect(queryString(q)).toBe(
      '?limit=25&severity=HIGH&status=OPEN&order_ref=ext%3ASO-1&since=2026-11-01T00%3A00%3A00Z&until=2026-11-30T23%3A59%3A59.999Z&cursor=c2',
    );
    expect(queryString(exceptionQuery(NO_FILTERS, 10))).toBe('?limit=10');
  });

  it('ignores a half-typed date and reads the form back from the URL', () => {
    expect(exceptionQuery({ ...NO_FILTERS, from: '2026-1' }, 5).since).toBeUndefined();
    const form = filtersFrom(new URLSearchParams('label=STOCK_OUT&status=ACKNOWLEDGED&from=2026-11-02'));
    expect(form).toEqual({ ...NO_FILTERS, label: 'STOCK_OUT', status: 'ACKNOWLEDGED', from: '2026-11-02' });
  });
});

describe('timeline geometry', () => {
  const T: OrderTimeline = {
    order_ref: 'ext:SO-1', policy_id: 'p', factor: 1, clock_started_at: '2026-11-29T10:00:00Z', exceptions: [],
    milestones: [
      { milestone: 'pick_completed', at: '2026-11-29T13:00:00Z', deadline: '2026-11-29T12:00:00Z', state: 'late' },
      { milestone: 'order_paid', at: '2026-11-29T10:00:00Z', deadline: null, state: 'met' },
      { milestone: 'pack_completed', at: null, deadline: '2026-11-29T14:00:00Z', state: 'breached' },
      { milestone: 'shipped', at: null, deadline: '2026-11-30T10:00:00Z', state: 'open' },
    ],
  };
  const now = Date.parse('2026-11-29T16:00:00Z');

  it('puts milestones in the radar order, one row each', () => {
    const g = timelineGeometry(T, now);
    expect(g.rows.map((r) => r.milestone)).toEqual(['order_paid', 'pick_completed', 'pack_completed', 'shipped']);
    expect(new Set(g.rows.map((r) => r.y)).size).toBe(4);
  });

  it('spans the clock start to the latest deadline, time to the right', () => {
    const g = timelineGeometry(T, now);
    expect(g.start).toBe(Date.parse('2026-11-29T10:00:00Z'));
    expect(g.end).toBe(Date.parse('2026-11-30T10:00:00Z'));
    const paid = g.points.find((p) => p.milestone === 'order_paid')!;
    const picked = g.points.find((p) => p.milestone === 'pick_completed')!;
    expect(paid.x).toBe(g.left);
    // 3 h of a 24 h span
    expect(picked.x).toBeCloseTo(g.left + (3 / 24) * (g.right - g.left), 6);
    const shipDeadline = g.deadlines.find((d) => d.milestone === 'shipped')!;
    expect(shipDeadline.x).toBeCloseTo(g.right, 6);
    expect(g.now!.x).toBeCloseTo(g.left + (6 / 24) * (g.right - g.left), 6);
  });

  it('marks late events and missed deadlines; open ones before their deadline are not', () => {
    const g = timelineGeometry(T, now);
    expect(g.points.map((p) => [p.milestone, p.late])).toEqual([['order_paid', false], ['pick_completed', true]]);
    expect(Object.fromEntries(g.deadlines.map((d) => [d.milestone, d.missed]))).toEqual({
      pick_completed: true, pack_completed: true, shipped: false,
    });
    // an event after its deadline is late even if the server still says "met"
    const g2 = timelineGeometry({ ...T, milestones: [{ milestone: 'pick_completed', at: '2026-11-29T13:00:00Z', deadline: '2026-11-29T12:00:00Z', state: 'met' }] }, now);
    expect(g2.points[0].late).toBe(true);
  });

  it('has no "now" line when everything arrived, and survives an empty timeline', () => {
    const done = timelineGeometry({ ...T, milestones: T.milestones.filter((m) => m.at) }, now);
    expect(done.now).toBeNull();
    const empty = timelineGeometry({ ...T, clock_started_at: null, milestones: [] }, now);
    expect(empty.points).toEqual([]);
    expect(empty.end).toBeGreaterThan(empty.start);
  });
});

describe('words and values', () => {
  it('says durations in minutes, hours and days', () => {
    expect([minutes(14), minutes(125), minutes(120), minutes(60 * 26), minutes(null)]).toEqual(['14 min', '2 h 5 min', '2 h', '1 d 2 h', '—']);
  });

  it('types multiplier values as the API wants them', () => {
    expect(multiplierValue('weekend', 'EQUALS', 'true')).toBe(true);
    expect(multiplierValue('weekend', 'EQUALS', 'no')).toBe(false);
    expect(multiplierValue('line_count', 'GREATER_THAN', ' 3 ')).toBe(3);
    expect(multiplierValue('fulfillment_type', 'IN', 'SAME_DAY_DELIVERY, SHIP_FROM_STORE')).toEqual(['SAME_DAY_DELIVERY', 'SHIP_FROM_STORE']);
    expect(multiplierValue('total_amount', 'GREATER_THAN', '100.00')).toBe('100.00');
  });

  it('finds the problems of a policy form', () => {
    const ok = { pick_minutes: 120, pack_minutes: 240, ship_minutes: 1440, delivery_hours: 96, warning_pct: 80, critical_pct: 150, multipliers: [{ factor: 1.5 }] };
    expect(policyProblems(ok)).toEqual([]);
    expect(policyProblems({ ...ok, pick_minutes: 0, warning_pct: 100, critical_pct: 90, multipliers: [{ factor: 0 }] })).toEqual([
      'pick_minutes must be a positive number', 'warning_pct must be between 0 and 100', 'critical_pct must be at least 100',
      'multiplier 1: factor must be positive',
    ]);
  });
});
