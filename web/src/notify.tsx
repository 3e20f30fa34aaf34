// The banner where the API's errors are shown in words (never swallowed), and short notices of
// what an action did.

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { toApiError, type ApiError } from './api';

interface Message {
  id: number;
  kind: 'error' | 'notice';
  text: string;
  error?: ApiError;
  context?: string;
}

interface Notifier {
  error: (err: unknown, context?: string) => void;
  notice: (text: string) => void;
  dismiss: (id: number) => void;
  messages: Message[];
}

const NotifyContext = createContext<Notifier | null>(null);
let nextId = 1;
const MAX_MESSAGES = 4;

export function NotifyProvider({ children }: { children: ReactNode }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const push = useCallback((m: Omit<Message, 'id'>) => {
    const id = nextId++;
    setMessages((list) => [...list, { ...m, id }].slice(-MAX_MESSAGES));
    if (m.kind === 'notice') window.setTimeout(() => setMessages((list) => list.filter((x) => x.id !== id)), 6000);
  }, []);
  const value = useMemo<Notifier>(
    () => ({
      messages,
      error: (err, context) => {
        const e = toApiError(err);
        push({ kind: 'error', text: e.describe(), error: e, context });
      },
      notice: (text) => push({ kind: 'notice', text }),
      dismiss: (id) => setMessages((list) => list.filter((m) => m.id !== id)),
    }),
    [messages, push],
  );
  return <NotifyContext.Provider value={value}>{children}</NotifyContext.Provider>;
}

export function useNotify(): Notifier {
  const ctx = useContext(NotifyContext);
  if (!ctx) throw new Error('useNotify outside NotifyProvider');
  return ctx;
}

/** Run an action: its error goes to the banner, its success (when `done` is given) as a notice.
 * Returns the action's result, or undefined when it failed. */
export function useAction() {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T,>(context: string, action: () => Promise<T>, done?: string | ((result: T) => string)): Promise<T | undefined> => {
      setBusy(true);
      try {
        const result = await action();
        if (done) notify.notice(typeof done === 'function' ? done(result) : done);
        return result;
      } catch (e) {
        notify.error(e, context);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [notify],
  );
  return { run, busy };
}

export function Banner() {
  const { messages, dismiss } = useNotify();
  if (!messages.length) return null;
  return (
    <div className="banners" aria-live="polite">
      {messages.map((m) =>
        m.kind === 'error' ? (
          <div key={m.id} className="banner banner-error" role="alert" data-testid="error-banner" data-code={m.error?.code}>
            <div className="banner-body">
              <strong>{m.context ? `${m.context}: ` : ''}</strong>
              <span data-testid="error-message">{m.error?.message ?? m.text}</span>{' '}
              <code className="banner-code" data-testid="error-code">
                {m.error?.code}
                {m.error?.status ? ` · HTTP ${m.error.status}` : ''}
              </code>
              {m.error && m.error.problems.length > 0 && (
                <ul className="banner-problems">
                  {m.error.problems.slice(0, 8).map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ul>
              )}
              {m.error?.requestId && <div className="muted small">request id {m.error.requestId}</div>}
            </div>
            <button type="button" className="banner-close" aria-label="Dismiss" onClick={() => dismiss(m.id)}>
              ×
            </button>
          </div>
        ) : (
          <div key={m.id} className="banner banner-notice" role="status" data-testid="notice-banner">
            <div className="banner-body">{m.text}</div>
            <button type="button" className="banner-close" aria-label="Dismiss" onClick={() => dismiss(m.id)}>
              ×
            </button>
          </div>
        ),
      )}
    </div>
  );
}
