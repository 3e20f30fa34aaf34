import { describe, expect, it } from 'vitest';
import { applicable, progress, stepsFor } from './fulfilment';

describe('fulfilment steps', () => {
  it('offers the next step of the ship lane', () => {
    expect(applicable('SOURCED', 'SHIP_TO_HOME')).toEqual(['PICKING']);
    expect(applicable('PACKING', 'SHIP_TO_HOME')).toEqual(['READY_TO_SHIP']);
    expect(applicable('READY_TO_SHIP', 'SAME_DAY_DELIVERY')).toEqual(['SHIPPED']);
    expect(applicable('SHIPPED', 'SHIP_TO_HOME')).toEqual(['OUT_FOR_DELIVERY', 'DELIVERED']);
    expect(applicable('DELIVERED', 'SHIP_TO_HOME')).toEqual([]);
    expect(applicable('PENDING', 'SHIP_TO_HOME')).toEqual([]);
  });

  it('offers the pickup lane for pickup orders', () => {
    expect(stepsFor('STORE_PICKUP').map((s) => s.type)).toEqual(['PICKING', 'PACKING', 'READY_FOR_PICKUP', 'PICKED_UP']);
    expect(applicable('PACKING', 'CURBSIDE_PICKUP')).toEqual(['READY_FOR_PICKUP']);
    expect(applicable('READY_FOR_PICKUP', 'STORE_PICKUP')).toEqual(['PICKED_UP']);
  });

  it('knows how far along the lane an order is', () => {
    expect(progress('SOURCED', 'SHIP_TO_HOME')).toBe(-1);
    expect(progress('PACKING', 'SHIP_TO_HOME')).toBe(1);
    expect(progress('DELIVERED', 'SHIP_TO_HOME')).toBe(5);
    expect(progress('PICKED_UP', 'STORE_PICKUP')).toBe(3);
    expect(stepsFor('SHIP_TO_HOME').find((s) => s.type === 'SHIPPED')?.needsTracking).toBe(true);
  });
});
