// The whole app rendered at a path for a signed-in role, over a fake API (component tests).

import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { App } from '../App';
import { AuthProvider } from '../auth';
import { NotifyProvider } from '../notify';
import { session } from '../api';
import { fakeApi, type Handler } from './fakeApi';

export function renderAt(path: string, role: string, routes: Record<string, Handler>) {
  session.set('tok', 3600);
  const api = fakeApi({
    'GET /auth/me': () => ({ status: 200, body: { user_id: 'u1', email: 'someone@example.com', tenant_id: 'demo', role } }),
    ...routes,
  });
  render(
    <MemoryRouter initialEntries={[path]}>
      <NotifyProvider>
        <AuthProvider>
          <App />
        </AuthProvider>
      </NotifyProvider>
    </MemoryRouter>,
  );
  return api;
}
