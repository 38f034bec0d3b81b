import pino from 'pino';

/** The slice of pino the engine uses; pass a pino logger (or a child) to share one. */
export interface EngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

let fallback: EngineLogger | null = null;

export function defaultLogger(): EngineLogger {
  fallback ??= pino({ level: process.env.VECTRA_LOG_LEVEL ?? 'info' }, pino.destination(2));
  return fallback;
}
