import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';

// The machine running the tests may be busy: wait for the UI generously (nothing here is timed).
configure({ asyncUtilTimeout: 8000 });

afterEach(() => {
  cleanup();
  window.sessionStorage.clear();
});
