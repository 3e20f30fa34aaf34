// Who is signed in: the session's token (memory + sessionStorage, see session.ts) and /auth/me.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { auth, onUnauthorized, session, toApiError, type Me } from './api';
import { abilities, type Abilities } from './roles';

type Status = 'loading' | 'anonymous' | 'signed-in';

interface AuthState {
  status: Status;
  me: Me | null;
  can: Abilities;
  /** why the last session ended (a 401), shown on the login page */
  endedBecause: string | null;
  login: (email: string, password: string) => Promise<void>;
  logout: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [status, setStatus] = useState<Status>(session.token() ? 'loading' : 'anonymous');
  const [endedBecause, setEndedBecause] = useState<string | null>(null);

  useEffect(() => {
    onUnauthorized((err) => {
      setMe(null);
      setStatus('anonymous');
      setEndedBecause(`${err.message} (${err.code})`);
    });
    if (!session.token()) return;
    auth
      .me()
      .then((who) => {
        setMe(who);
        setStatus('signed-in');
      })
      .catch((e) => {
        session.clear();
        setStatus('anonymous');
        setEndedBecause(toApiError(e).describe());
      });
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const answer = await auth.login(email, password);
    session.set(answer.access_token, answer.expires_in);
    try {
      const who = await auth.me();
      setMe(who);
      setEndedBecause(null);
      setStatus('signed-in');
    } catch (e) {
      session.clear();
      throw e;
    }
  }, []);

  const logout = useCallback(() => {
    session.clear();
    setMe(null);
    setEndedBecause(null);
    setStatus('anonymous');
  }, []);

  const value = useMemo<AuthState>(
    () => ({ status, me, can: abilities(me?.role), endedBecause, login, logout }),
    [status, me, endedBecause, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
