/** The exact fields `staydown monitor run --json` prints (the command-line contract). */
export const MONITOR_RUN_FIELDS = ['checked', 'removed', 'reappeared', 'unknown', 'reminders', 'escalations'] as const;
