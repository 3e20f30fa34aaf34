import { describe, expect, it } from 'vitest';
import { fitProjection, inUnitedStates, locate, project } from './geo';

// The demo nodes (layers/oms/oms/demo.py)
const NYC = { lat: 40.7484, lon: -73.9967 };
const LA = { lat: 34.0736, lon: -118.4004 };
const CHI = { lat: 41.8937, lon: -87.6267 };
const MIA = { lat: 25.7907, lon: -80.13 };
const SF = { lat: 37.7749, lon: -122.4194 };
const LONDON = { lat: 51.5072, lon: -0.1276 };

describe('fitProjection', () => {
  it('draws US points with Albers USA, inside the box, in the right places', () => {
    const { kind, projection } = fitProjection([NYC, LA, CHI, MIA, SF], 800, 470, 24);
    expect(kind).toBe('us');
    const [nyc, la, chi, mia, sf] = [NYC, LA, CHI, MIA, SF].map((p) => project(projection, p)!);
    for (const [x, y] of [nyc, la, chi, mia, sf]) {
      expect(x).toBeGreaterThanOrEqual(24);
      expect(x).toBeLessThanOrEqual(800 - 24);
      expect(y).toBeGreaterThanOrEqual(24);
      expect(y).toBeLessThanOrEqual(470 - 24);
    }
    expect(nyc[0]).toBeGreaterThan(chi[0]); // east is right
    expect(chi[0]).toBeGreaterThan(la[0]);
    expect(mia[1]).toBeGreaterThan(chi[1]); // south is down
    expect(sf[1]).toBeLessThan(la[1]);
  });

  it('switches to a world projection when a point is outside the US', () => {
    expect(inUnitedStates(NYC)).toBe(true);
    expect(inUnitedStates(LONDON)).toBe(false);
    const { kind, projection } = fitProjection([NYC, LONDON], 800, 470, 20);
    expect(kind).toBe('world');
    const nyc = project(projection, NYC)!;
    const london = project(projection, LONDON)!;
    expect(london[0]).toBeGreaterThan(nyc[0]);
    for (const [x, y] of [nyc, london]) {
      expect(x).toBeGreaterThanOrEqual(19);
      expect(x).toBeLessThanOrEqual(781);
      expect(y).toBeGreaterThanOrEqual(19);
      expect(y).toBeLessThanOrEqual(451);
    }
  });
});

describe('locate', () => {
  it('uses the address coordinates when given', () => {
    expect(locate({ address1: '1 Main', city: 'Boston', state: 'MA', country: 'US', latitude: 42.36, longitude: -71.06 })).toEqual({
      lat: 42.36, lon: -71.06, approximate: false, label: 'Boston, MA, US',
    });
  });
  it("falls back to the state's centre, marked approximate", () => {
    const d = locate({ address1: '1 Main', city: 'Austin', state: 'tx', country: 'US' });
    expect(d?.approximate).toBe(true);
    expect(d?.lat).toBeCloseTo(31.5, 0);
    expect(d?.label).toContain('approximate');
  });
  it('gives up without coordinates outside the US', () => {
    expect(locate({ address1: '1 High St', city: 'London', country: 'GB' })).toBeNull();
    expect(locate(null)).toBeNull();
  });
});
