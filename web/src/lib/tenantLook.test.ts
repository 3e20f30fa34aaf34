import { describe, expect, it } from 'vitest';
import { brandingVars, lookUp, safeColor, safeLogo, statusBook } from './tenantLook';

const book = statusBook([
  { code: 'RECEIVED', name: 'Received', color: '#336699', phase: 'PENDING', anchor: true, terminal: false },
  { code: 'HELD', name: 'On hold', color: '#aa7700', phase: 'BACKORDERED', anchor: false, terminal: false },
  { code: 'BACKORDERED', name: 'Waiting for stock', color: '#aa7700', phase: 'BACKORDERED', anchor: true, terminal: false },
  { code: 'CANCELLED', name: 'Cancelled', color: '#cc2222', phase: 'CANCELLED', anchor: true, terminal: true },
]);

describe('the tenant look', () => {
  it('names an order by its code, else by its phase anchor', () => {
    expect(lookUp(book, 'HELD', 'BACKORDERED')?.name).toBe('On hold');
    expect(lookUp(book, null, 'BACKORDERED')?.name).toBe('Waiting for stock');
    expect(lookUp(book, null, 'PENDING')?.name).toBe('Received');
    expect(lookUp(book, 'NOPE', 'SHIPPED')).toBeUndefined();
  });

  it('trusts the phase over a code of another phase (a stale code)', () => {
    expect(lookUp(book, 'RECEIVED', 'CANCELLED')?.code).toBe('CANCELLED');
  });

  it('lets only hex colours and https logos through', () => {
    expect(safeColor('#0a7d5a')).toBe('#0a7d5a');
    expect(safeColor('red; background: url(x)')).toBeNull();
    expect(safeLogo('https://cdn.example.com/logo.png')).toBe('https://cdn.example.com/logo.png');
    expect(safeLogo('javascript:alert(1)')).toBeNull();
    expect(safeLogo('http://example.com/x.png')).toBeNull();
    expect(brandingVars({ shop_name: 'x', primary_color: 'blue', accent_color: '#f2a900' })).toEqual({ '--brand-accent': '#f2a900' });
  });
});
