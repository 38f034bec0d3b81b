/**
 * The signed-in API key. Kept in sessionStorage (gone when the tab closes; never in a URL,
 * a cookie or a log) and handed to pages as bound clients: `vectra` (@vectra/client) and the
 * dashboard's older fetch wrapper, for the pages not moved to it yet. A 401 from any call (key
 * revoked or expired) signs out with the API's message.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Vectra } from '@vectra/client';
import { clientFor, type Client } from './lib/api';

/** The client of a key, on this page's origin (the server serves the dashboard). */
export function vectraFor(apiKey: string, onUnauthorized?: (message: string) => void): Vectra {
  return new Vectra({ url: '', apiKey, onError: (e) => e.status === 401 && onUnauthorized?.(e.message) });
}

const STORAGE_KEY = 'vectra.apiKey';

interface Session {
  /** The signed-in key (the Keys page marks it as this session's). */
  key: string | null;
  client: Client | null;
  vectra: Vectra | null;
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
  const vectra = useMemo(() => (key ? vectraFor(key, (message) => signOut(`Signed out: ${message}`)) : null), [key, signOut]);
  const value = useMemo(() => ({ key, client, vectra, notice, signIn, signOut }), [key, client, vectra, notice, signIn, signOut]);
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

/** The signed-in @vectra/client (pages behind the sign-in gate only). */
export function useVectra(): Vectra {
  const { vectra } = useSession();
  if (!vectra) throw new Error('useVectra while signed out');
  return vectra;
}
