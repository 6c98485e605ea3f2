/**
 * Structured logs (pino) on stderr, so `--json` output on stdout stays clean. Child loggers carry ids
 * (case code, material id, request id); secrets and anything personal are redacted by path as a second
 * line of defence - the first is never passing them to a logger.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** `destination` defaults to stderr; tests pass a stream to read what would be logged. */
export function createLogger(level: string, name = 'staydown', destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'req.headers.authorization', 'req.headers.cookie', 'personal', '*.personal', 'keywords', '*.keywords', 'searchUrls', '*.searchUrls'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** A logger that writes nothing (for library use and quiet CLI verbs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
