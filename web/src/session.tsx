/**
 * The signed-in API key. Kept in sessionStorage (gone when the tab closes; never in a URL,
 * a cookie or a log) and handed to pages as a bound client. A 401 from any call (key revoked
 * or expired) signs out with the API's message.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { clientFor, type Client } from './lib/api';

const STORAGE_KEY = 'vectra.apiKey';

interface Session {
  client: Client | null;
  /** Why the last session ended, shown on the sign-in page. */
  notice: string | null;
  signIn(key: string): void;
  signOut(notice?: string): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [key, setKey] = useState<string | null>(() => sessionStorage.getItem(STORAGE_KEY));
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((why?: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setKey(null);
    setNotice(why ?? null);
  }, []);
  const signIn = useCallback((k: string) => {
    sessionStorage.setItem(STORAGE_KEY, k);
    setKey(k);
    setNotice(null);
  }, []);
  const client = useMemo(() => (key ? clientFor(key, (e) => signOut(`Signed out: ${e.message}`)) : null), [key, signOut]);
  const value = useMemo(() => ({ client, notice, signIn, signOut }), [client, notice, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in client (pages behind the sign-in gate only). */
export function useClient(): Client {
  const { client } = useSession();
  if (!client) throw new Error('useClient while signed out');
  return client;
}
