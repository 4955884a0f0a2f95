/** Small building blocks shared by the pages: badges, messages and labelled fields whose error
 * is tied to the input (aria-describedby), so a screen reader hears it too. */
import type { ComponentChildren, JSX } from "preact";
import { describe } from "./errors";
import { href } from "./router";

export function Badge({ status }: { status: string }) {
  return (
    <span class={`badge badge-${status}`} data-status={status}>
      {status}
    </span>
  );
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="msg msg-error" role="alert">
      {describe(error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="msg msg-ok" role="status">
      {children}
    </p>
  );
}

type FieldProps = {
  id: string;
  label: string;
  error?: string;
  hint?: ComponentChildren;
  children: (aria: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => JSX.Element;
};

export function Field({ id, label, error, hint, children }: FieldProps) {
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({ id, "aria-describedby": described || undefined, "aria-invalid": error ? true : undefined })}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Field errors the form has no input for still reach the person. */
export function otherFieldErrors(fields: Record<string, string>, known: string[]): string[] {
  return Object.entries(fields)
    .filter(([f]) => !known.includes(f))
    .map(([f, m]) => `${f}: ${m}`);
}

/** The way back from one item's page to its list, above the page's heading. */
export function BackLink({ to, children }: { to: string; children: ComponentChildren }) {
  return (
    <p>
      <a href={href(to)}>← {children}</a>
    </p>
  );
}
