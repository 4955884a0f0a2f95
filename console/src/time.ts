/** Times: the API speaks UTC; people read their browser's zone, with UTC beside it. */
export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const localFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function local(iso: string | null | undefined): string {
  return iso ? localFmt.format(new Date(iso)) : "—";
}

export function utc(iso: string | null | undefined): string {
  return iso
    ? new Date(iso)
        .toISOString()
        .replace(/:\d\d\.\d{3}Z$/, "Z")
        .replace("T", " ")
    : "—";
}

/** A `datetime-local` input's value (browser zone) as an ISO instant, or null when empty. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One formatter per zone: building an `Intl.DateTimeFormat` loads the zone's rules, which
 * costs far more than formatting, and a preview asks for the same zone twenty times. */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset of `zone` at `at`, as "+01:00". */
export function offsetAt(zone: string, at: Date): string {
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    offsetFormats.set(zone, format);
  }
  const part = format.formatToParts(at).find((p) => p.type === "timeZoneName")?.value;
  const m = part?.match(/GMT([+-]\d\d:\d\d)?/);
  return m?.[1] ?? "+00:00";
}

export const ago = (iso: string) => {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (Math.abs(s) < 60) return s >= 0 ? `${s} s ago` : `in ${-s} s`;
  const m = Math.round(s / 60);
  if (Math.abs(m) < 120) return m >= 0 ? `${m} min ago` : `in ${-m} min`;
  return local(iso);
};
