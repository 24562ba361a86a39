import { PROVIDER_LABELS } from '../domain/statuses';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** "SmartVPS" for `smartvps`; an unknown name as it is. */
export function providerLabel(name: string): string {
  return (PROVIDER_LABELS as Record<string, string | undefined>)[name] ?? name;
}

/** A date and time in the admin's locale, or a dash. */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** A clock time in the admin's locale. */
export function formatTime(date: Date): string {
  return time.format(date);
}

/** "in 42 s", "3 min ago": how far a moment is from now. */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const amount = abs < 90 ? `${abs} s` : abs < 90 * 60 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  if (abs < 1) return 'now';
  return seconds > 0 ? `in ${amount}` : `${amount} ago`;
}

/** An attempt's duration: "340 ms", "1.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** "1 order", "37 orders". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
