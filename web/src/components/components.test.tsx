import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ApiError } from '../api';
import { LoginForm } from '../pages/Login';
import { Funnel } from './charts';
import { KpiCards, kpisOf } from './KpiCards';
import { KeyValues } from './ui';
import { funnel } from '../lib/analytics';
import { DASHBOARD } from '../test/fakeApi';
import type { Dashboard } from '../api';

describe('LoginForm', () => {
  it('sends the typed email and password', async () => {
    const onLogin = vi.fn(async () => undefined);
    render(<LoginForm onLogin={onLogin} />);
    fireEvent.change(screen.getByTestId('login-email'), { target: { value: ' admin@example.com ' } });
    fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'admin123' } });
    fireEvent.click(screen.getByTestId('login-submit'));
    await waitFor(() => expect(onLogin).toHaveBeenCalledWith('admin@example.com', 'admin123'));
    expect(screen.queryByTestId('error-banner')).toBeNull();
  });

  it("shows the API's refusal in words, with its code", async () => {
    const onLogin = vi.fn(async () => {
      throw new ApiError(401, 'invalid_credentials', 'wrong email or password');
    });
    render(<LoginForm onLogin={onLogin} />);
    fireEvent.change(screen.getByTestId('login-email'), { target: { value: 'admin@example.com' } });
    fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByTestId('login-submit'));
    const banner = await screen.findByTestId('error-banner');
    expect(banner.getAttribute('data-code')).toBe('invalid_credentials');
    expect(screen.getByTestId('error-message').textContent).toBe('wrong email or password');
    expect(screen.getByTestId('error-code').textContent).toContain('HTTP 401');
    expect((screen.getByTestId('login-submit') as HTMLButtonElement).disabled).toBe(false);
  });

  it('says why the last session ended', () => {
    render(<LoginForm onLogin={vi.fn()} notice="the token has expired (token_expired)" />);
    expect(screen.getByTestId('session-ended').textContent).toContain('token has expired');
  });
});

describe('KpiCards', () => {
  it('renders the figures of the dashboard', () => {
    render(<KpiCards dashboard={DASHBOARD as Dashboard} />);
    expect(screen.getByTestId('kpi-orders-value').textContent).toBe('1,234');
    expect(screen.getByTestId('kpi-revenue-value').textContent).toBe('$56,789.50');
    expect(screen.getByTestId('kpi-aov-value').textContent).toBe('$46.02');
    expect(screen.getByTestId('kpi-on-time-value').textContent).toBe('95.5%');
    expect(screen.getByTestId('kpi-split-rate-value').textContent).toBe('12.0%');
    expect(screen.getByTestId('kpi-backorder-rate-value').textContent).toBe('3.1%');
    expect(screen.getByTestId('kpi-low-stock-value').textContent).toBe('3');
  });

  it('colours rates by how good they are, and shows — without a denominator', () => {
    const kpis = kpisOf({ ...(DASHBOARD as Dashboard), on_time_delivery_rate: null, backorder_rate: 0.2 });
    expect(kpis.find((k) => k.key === 'on-time')).toMatchObject({ value: '—', tone: undefined });
    expect(kpis.find((k) => k.key === 'backorder-rate')?.tone).toBe('bad');
    expect(kpis.find((k) => k.key === 'low-stock')?.tone).toBe('bad');
  });
});

describe('Funnel', () => {
  it('draws one step per stage with its count', () => {
    render(<Funnel steps={funnel({ DELIVERED: 6, SHIPPED: 2, PENDING: 2 })} />);
    const steps = screen.getByTestId('status-funnel').querySelectorAll('[data-stage]');
    expect([...steps].map((s) => `${s.getAttribute('data-stage')}=${s.getAttribute('data-orders')}`)).toEqual([
      'Placed=10', 'Sourced=8', 'Packed=8', 'Shipped=8', 'Delivered=6',
    ]);
  });
});

describe('the error banner', () => {
  it("shows a failed action's error in words, with its code and problems, until dismissed", async () => {
    const { NotifyProvider, Banner, useAction } = await import('../notify');
    function Failing() {
      const { run } = useAction();
      return (
        <button type="button" onClick={() => run('Adjust stock', async () => {
          throw new ApiError(409, 'insufficient_stock', 'cannot remove 100000: only 125 are not reserved', { available: 125 });
        })}>go</button>
      );
    }
    render(
      <NotifyProvider>
        <Banner />
        <Failing />
      </NotifyProvider>,
    );
    fireEvent.click(screen.getByText('go'));
    const banner = await screen.findByTestId('error-banner');
    expect(banner.getAttribute('data-code')).toBe('insufficient_stock');
    expect(banner.textContent).toContain('Adjust stock: ');
    expect(screen.getByTestId('error-message').textContent).toBe('cannot remove 100000: only 125 are not reserved');
    expect(screen.getByTestId('error-code').textContent).toBe('insufficient_stock · HTTP 409');
    expect(banner.textContent).toContain('available: 125');
    fireEvent.click(screen.getByLabelText('Dismiss'));
    expect(screen.queryByTestId('error-banner')).toBeNull();
  });
});

describe('KeyValues', () => {
  it('shows a list of plain values as words, an empty one as a dash, anything nested as JSON', () => {
    render(<KeyValues data={{ tags: ['vip', 'gift'], tag: [], where: { node: 'DC-1' } }} testid="kv" />);
    const rows = screen.getByTestId('kv').querySelectorAll('dd');
    expect([...rows].map((dd) => dd.textContent)).toEqual(['vip, gift', '—', '{"node":"DC-1"}']);
  });
});
