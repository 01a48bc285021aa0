// Dates as Vietnamese offices write them (dd/mm/yyyy), whatever the computer's locale: a
// browser's date input follows the system's, and many offices run an English Windows.
// Pure helpers, unit-tested; the core receives `yyyy-mm-dd`.

const pad = (n: number) => String(n).padStart(2, "0");

/** A `yyyy-mm-dd` date shown as `dd/mm/yyyy`; any other text as it is. */
export function showDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : value;
}

/**
 * What an official typed, `d/m/yyyy` (with `/`, `-` or `.`) or `yyyy-mm-dd`, as `yyyy-mm-dd`;
 * null when it is not a real day of the calendar.
 */
export function readDate(text: string): string | null {
  const t = text.trim();
  let m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  const [year, month, day] = m
    ? [Number(m[3]), Number(m[2]), Number(m[1])]
    : (m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t))
      ? [Number(m[1]), Number(m[2]), Number(m[3])]
      : [0, 0, 0];
  if (year < 1900 || month < 1 || month > 12 || day < 1) return null;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > days) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}
