import { describe, expect, it, vi } from 'vitest';
import { SessionStore } from './session';

describe('SessionStore', () => {
  it('keeps the token in memory and sessionStorage only (never localStorage)', () => {
    const store = new SessionStore(() => 1_000);
    store.set('abc', 3600);
    expect(store.token()).toBe('abc');
    expect(window.sessionStorage.getItem('cirrus.session')).toContain('abc');
    expect(window.localStorage.length).toBe(0);
    expect(document.cookie).not.toContain('abc');
    // a reload of the tab restores it
    expect(new SessionStore(() => 2_000).token()).toBe('abc');
  });

  it('drops an expired token', () => {
    let now = 0;
    const store = new SessionStore(() => now);
    const listener = vi.fn();
    store.subscribe(listener);
    store.set('abc', 10);
    now = 10_001;
    expect(store.token()).toBeNull();
    expect(window.sessionStorage.getItem('cirrus.session')).toBeNull();
    expect(listener).toHaveBeenLastCalledWith(null);
    expect(new SessionStore(() => now).token()).toBeNull();
  });

  it('clears on logout and ignores garbage in storage', () => {
    window.sessionStorage.setItem('cirrus.session', '{not json');
    const store = new SessionStore();
    expect(store.token()).toBeNull();
    store.set('t', 60);
    store.clear();
    expect(store.token()).toBeNull();
    expect(window.sessionStorage.getItem('cirrus.session')).toBeNull();
  });
});
