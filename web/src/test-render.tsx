/** For the page tests: a page rendered signed in (a key in sessionStorage) at `path`, under the route `pattern`. */
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { SessionProvider } from './session';

export function renderSignedIn(path: string, pattern: string, page: ReactNode) {
  sessionStorage.setItem('vectra.apiKey', 'vk_test');
  return render(
    <MemoryRouter initialEntries={[path]}>
      <SessionProvider>
        <Routes>
          <Route path={pattern} element={page} />
        </Routes>
      </SessionProvider>
    </MemoryRouter>,
  );
}
