/**
 * One structured JSON line per request and per mutating call. Never the whole event: resource
 * properties may hold policy documents and emails, so only what identifies the call is logged.
 */
export interface Logger {
  (message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(base: Record<string, unknown>, sink: (line: string) => void = defaultSink): Logger {
  return (message, fields = {}) => sink(JSON.stringify({ level: 'info', message, ...base, ...fields }));
}

/** A logger that records lines in memory: for tests that assert what was logged. */
export function memoryLogger(lines: Array<Record<string, unknown>> = []): Logger & { lines: Array<Record<string, unknown>> } {
  const log = ((message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ message, ...fields });
  }) as Logger & { lines: Array<Record<string, unknown>> };
  log.lines = lines;
  return log;
}

function defaultSink(line: string) {
  // eslint-disable-next-line no-console
  console.log(line);
}
