import { describe, expect, it } from 'vitest';
import { funnel, niceMax, shares } from './analytics';

describe('funnel', () => {
  it('counts each order at every stage it reached', () => {
    const steps = funnel({ PENDING: 2, SOURCED: 3, PACKING: 1, READY_TO_SHIP: 1, SHIPPED: 2, DELIVERED: 4, CANCELLED: 2, PICKED_UP: 1 });
    expect(steps.map((s) => [s.stage, s.orders])).toEqual([
      ['Placed', 16],
      ['Sourced', 12],
      ['Packed', 8],
      ['Shipped', 7],
      ['Delivered', 5],
    ]);
    expect(steps[4].share).toBeCloseTo(5 / 16);
  });

  it('has no shares without orders', () => {
    expect(funnel({}).every((s) => s.orders === 0 && s.share === null)).toBe(true);
  });
});

describe('shares and axes', () => {
  it('sorts buckets by orders with their share', () => {
    const rows = shares({ WEB: { orders: 3, revenue: '30.00' }, API: { orders: 9, revenue: '120.50' }, POS: { orders: 0, revenue: '0.00' } });
    expect(rows.map((r) => r.key)).toEqual(['API', 'WEB', 'POS']);
    expect(rows[0].share).toBeCloseTo(0.75);
    expect(rows[0].revenue).toBe(120.5);
  });

  it('rounds an axis maximum up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(13)).toBe(20);
    expect(niceMax(41)).toBe(50);
    expect(niceMax(100)).toBe(100);
  });
});
