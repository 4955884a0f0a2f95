/** Channels: where posts go. Admins create them (the signing secret is shown once), rotate the
 * secret, send a test message and re-enable a disabled one; everyone else reads. */
import { useState } from "preact/hooks";
import { api, get, type Page } from "../api";
import { ApiError } from "../errors";
import { useLoad, POLL_MS } from "../poll";
import { canAdmin, session } from "../session";
import { useSignal } from "../signal";
import { local } from "../time";
import type { Channel } from "../types";
import { Badge, Empty, ErrorMessage, Field, Notice, otherFieldErrors } from "../ui";

type TestResult = { delivered: boolean; status_code: number | null; latency_ms: number | null; error: string | null };

export function ChannelsPage() {
  const s = useSignal(session);
  const admin = canAdmin(s);
  const list = useLoad(() => get<Page<Channel>>("/v1/channels?limit=100"), [], POLL_MS);
  const [secret, setSecret] = useState<{ name: string; value: string; why: string }>();
  return (
    <>
      <h1>Channels</h1>
      {secret && <SecretOnce {...secret} onDone={() => setSecret(undefined)} />}
      {admin && (
        <CreateChannel
          onCreated={(c) => {
            setSecret({ name: c.name, value: c.signing_secret ?? "", why: "created" });
            void list.reload();
          }}
        />
      )}
      <section class="card" aria-labelledby="channels-h">
        <h2 id="channels-h">All channels</h2>
        {!admin && <p class="hint">Only admins manage channels; you can see them.</p>}
        <ErrorMessage error={list.error} />
        {list.data && !list.data.items.length && <Empty>No channels yet.</Empty>}
        <ul class="cards">
          {list.data?.items.map((c) => (
            <ChannelItem
              key={c.id}
              channel={c}
              admin={admin}
              onChanged={() => void list.reload()}
              onSecret={(value) => setSecret({ name: c.name, value, why: "rotated" })}
            />
          ))}
        </ul>
      </section>
    </>
  );
}

function SecretOnce({ name, value, why, onDone }: { name: string; value: string; why: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section class="card secret" aria-labelledby="secret-h" data-testid="secret">
      <h2 id="secret-h">Signing secret of “{name}”</h2>
      <p class="msg msg-warn" role="alert">
        Copy it now: this is the only time it is shown. The secret was {why}; receivers need it to verify each
        delivery's signature.
      </p>
      <div class="row">
        <code class="secret-value" data-testid="secret-value">
          {value}
        </code>
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              setCopied(false);
              alert("The browser refused to copy; select the secret and copy it by hand.");
            }
          }}
        >
          Copy secret
        </button>
      </div>
      {copied && <Notice>Copied to the clipboard.</Notice>}
      <button type="button" class="secondary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}

function CreateChannel({ onCreated }: { onCreated: (c: Channel) => void }) {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const fields = error instanceof ApiError ? error.fields() : {};
  const others = otherFieldErrors(fields, ["name", "url"]);
  return (
    <section class="card" aria-labelledby="new-channel-h">
      <h2 id="new-channel-h">New webhook channel</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const c = await api<Channel>("POST", "/v1/channels", { name, kind: "webhook", url });
            setName("");
            setUrl("");
            onCreated(c);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field id="ch-name" label="Name" error={fields.name}>
          {(a) => (
            <input
              {...a}
              name="name"
              required
              maxLength={100}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="ch-url"
          label="Webhook URL"
          error={fields.url}
          hint="https, or http to 127.0.0.1 on the local stack."
        >
          {(a) => (
            <input
              {...a}
              name="url"
              type="url"
              required
              placeholder="https://example.com/hooks"
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          )}
        </Field>
        {others.map((m) => (
          <p class="field-error" key={m}>
            {m}
          </p>
        ))}
        <ErrorMessage error={error && !Object.keys(fields).length ? error : undefined} />
        <button type="submit" disabled={busy}>
          Create channel
        </button>
      </form>
    </section>
  );
}

function ChannelItem({
  channel: c,
  admin,
  onChanged,
  onSecret,
}: {
  channel: Channel;
  admin: boolean;
  onChanged: () => void;
  onSecret: (s: string) => void;
}) {
  const [error, setError] = useState<unknown>();
  const [test, setTest] = useState<TestResult>();
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const path = `/v1/channels/${encodeURIComponent(c.id)}`;
  return (
    <li class="item" data-testid="channel" data-name={c.name}>
      <div class="row spread">
        <h3>{c.name}</h3>
        <Badge status={c.status} />
      </div>
      <p class="url">
        <code>{c.url}</code>
      </p>
      {c.status === "disabled" && (
        <p class="msg msg-warn">
          Disabled:{" "}
          {c.disabled_reason === "gone"
            ? "the receiver answered 410 Gone."
            : c.disabled_reason === "failing"
              ? "every delivery failed for days."
              : (c.disabled_reason ?? "no reason given.")}{" "}
          It receives nothing until re-enabled.
        </p>
      )}
      {c.failing_since && c.status === "active" && (
        <p class="msg msg-warn">Deliveries failing since {local(c.failing_since)}.</p>
      )}
      {admin && (
        <div class="actions">
          <button
            type="button"
            disabled={busy}
            onClick={() => run(async () => setTest(await api<TestResult>("POST", `${path}/test`)))}
          >
            Send test
          </button>
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() =>
              run(async () => {
                if (!confirm(`Rotate the secret of “${c.name}”? Both secrets sign deliveries for 24 hours.`)) return;
                const r = await api<{ signing_secret: string }>("POST", `${path}/rotate-secret`);
                onSecret(r.signing_secret);
              })
            }
          >
            Rotate secret
          </button>
          {c.status === "disabled" && (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  await api("PATCH", path, { status: "active" });
                  onChanged();
                })
              }
            >
              Re-enable
            </button>
          )}
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() =>
              run(async () => {
                if (!confirm(`Delete “${c.name}”? Its scheduled posts will fail.`)) return;
                await api("DELETE", path);
                onChanged();
              })
            }
          >
            Delete
          </button>
        </div>
      )}
      {test && (
        <p class={`msg ${test.delivered ? "msg-ok" : "msg-error"}`} role="status" data-testid="test-result">
          {test.delivered ? "Delivered" : "Not delivered"}
          {test.status_code !== null && ` · HTTP ${test.status_code}`}
          {test.latency_ms !== null && ` · ${test.latency_ms} ms`}
          {test.error && ` · ${test.error}`}
        </p>
      )}
      <ErrorMessage error={error} />
    </li>
  );
}
