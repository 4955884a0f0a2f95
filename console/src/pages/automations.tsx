/** Automations: the list, a builder (trigger, live preview of the next runs, action with
 * template placeholders), and one automation with pause/resume, run-now and its run history. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, get, type Page } from "../api";
import { ApiError } from "../errors";
import { useLoad, POLL_MS } from "../poll";
import { href, navigate } from "../router";
import { canWrite, session } from "../session";
import { useSignal } from "../signal";
import { browserZone, local, offsetAt, utc } from "../time";
import type { Action, Automation, Channel, PreviewRun, Run, Trigger } from "../types";
import { BackLink, Badge, Empty, ErrorMessage, Field, Notice, otherFieldErrors } from "../ui";

const PLACEHOLDERS = [
  "{{now}}",
  "{{scheduled_for}}",
  "{{automation.name}}",
  "{{event.type}}",
  "{{event.id}}",
  "{{event.properties.KEY}}",
];

export function AutomationsPage({ id }: { id?: string }) {
  const s = useSignal(session);
  if (id === "new" && canWrite(s)) return <Builder />;
  if (id && id !== "new") return <AutomationDetails id={id} />;
  return <AutomationList />;
}

function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case "schedule":
      return `cron “${t.cron}” in ${t.timezone}`;
    case "rate":
      return `every ${t.every_minutes} min`;
    case "event":
      return `on ${t.event_type}${
        t.property_equals
          ? ` where ${Object.entries(t.property_equals)
              .map(([k, v]) => `${k} = ${String(v)}`)
              .join(", ")}`
          : ""
      }`;
  }
}

function AutomationList() {
  const s = useSignal(session);
  const list = useLoad(() => get<Page<Automation>>("/v1/automations?limit=100"), [], POLL_MS);
  return (
    <>
      <div class="row spread">
        <h1>Automations</h1>
        {canWrite(s) && (
          <a class="button" href={href("/automations/new")}>
            New automation
          </a>
        )}
      </div>
      <section class="card" aria-label="All automations">
        <ErrorMessage error={list.error} />
        {list.data && !list.data.items.length && <Empty>No automations yet.</Empty>}
        <ul class="cards">
          {list.data?.items.map((a) => (
            <li key={a.id} class="item">
              <div class="row spread">
                <h2 class="h3">
                  <a href={href(`/automations/${a.id}`)}>{a.name}</a>
                </h2>
                <Badge status={a.enabled ? "active" : "paused"} />
              </div>
              <p class="meta">
                {describeTrigger(a.trigger)} · next {local(a.next_run_at)} · last {local(a.last_run_at)}
              </p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

/** Marks a run that falls on a day the zone's clocks change: its offset differs from the
 * offset a day earlier. */
function dstChange(zone: string, at: string): string | null {
  const t = new Date(at);
  const before = offsetAt(zone, new Date(t.getTime() - 24 * 3600e3));
  const now = offsetAt(zone, t);
  return before === now ? null : `${before} → ${now}`;
}

function Preview({ trigger }: { trigger: Trigger | null }) {
  const [runs, setRuns] = useState<PreviewRun[]>();
  const [error, setError] = useState<unknown>();
  const key = JSON.stringify(trigger);
  useEffect(() => {
    if (!trigger || trigger.kind === "event") {
      setRuns(undefined);
      return;
    }
    const t = setTimeout(async () => {
      try {
        const r = await api<{ runs: PreviewRun[] }>("POST", "/v1/automations/preview", { trigger, count: 10 });
        setRuns(r.runs);
        setError(undefined);
      } catch (e) {
        setError(e);
        setRuns(undefined);
      }
    }, 350);
    return () => clearTimeout(t);
  }, [key]);
  if (trigger?.kind === "event")
    return <p class="hint">An event trigger runs once for each matching event: there is no schedule to preview.</p>;
  const zone = trigger?.kind === "schedule" ? trigger.timezone : "UTC";
  return (
    <div aria-live="polite" data-testid="preview">
      <h2 class="h3">Next 10 runs</h2>
      {error instanceof ApiError && error.errors.length ? (
        <p class="field-error" role="alert">
          {error.errors.map((e) => `${e.field}: ${e.message}`).join("; ")}
        </p>
      ) : (
        <ErrorMessage error={error} />
      )}
      {!runs && !error && (
        // The table's room, kept until the runs arrive, so the action below does not move.
        <div class="scroll" aria-hidden="true">
          <table class="preview">
            <thead>
              <tr>
                <th>&nbsp;</th>
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: 10 }, (_, i) => (
                <tr key={i}>
                  <td>&nbsp;</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs && (
        <div class="scroll">
          <table class="preview">
            <thead>
              <tr>
                <th scope="col">Local time ({zone})</th>
                <th scope="col">Offset</th>
                <th scope="col">UTC</th>
                <th scope="col">Clock change</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const change = trigger?.kind === "schedule" ? dstChange(zone, r.at) : null;
                return (
                  <tr key={r.at} class={change ? "dst" : undefined} data-at={r.at} data-dst={change ? "yes" : "no"}>
                    <td>{r.local.replace("T", " ")}</td>
                    <td>{r.offset}</td>
                    <td>{utc(r.at)}</td>
                    <td>{change ? <span class="badge badge-dst">DST {change}</span> : ""}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

let zoneList: string[] | undefined;

/** Every zone the browser knows, sorted once rather than on each keystroke in the builder. The
 * browser's list leaves out aliases such as "UTC"; the zone you are in is always offered. */
function timeZones(): string[] {
  if (!zoneList) {
    const supported = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.(
      "timeZone",
    );
    zoneList = [...new Set([...(supported ?? []), browserZone, "UTC"])].sort();
  }
  return zoneList;
}

/** The time-zone picker's options: some 400 `<option>`s, which the page does not build until the
 * picker is about to be used. In Lighthouse traces of this page (2026-12-03) building them cost
 * about 110 ms of main thread on the emulated 4x phone, whether in the first render or in a task
 * of its own after the first paint (a 117 ms task): either way a long task inside the window
 * Total Blocking Time counts, and automation-new scored 97 against the bar of 98 in two
 * `make test` runs. Until then the picker offers the chosen zone alone, which is also what it
 * shows. `load` runs on focus (keyboard) and on pointer-down (mouse, touch): the options render
 * in the microtask after the event, before the browser opens the list. They are built once, so
 * typing in the form does not diff 400 options again. */
function useZoneOptions(selected: string) {
  const [zones, setZones] = useState<string[] | undefined>(zoneList);
  const load = () => {
    if (!zones) setZones(timeZones());
  };
  const shown = zones ?? [selected];
  const options = useMemo(
    () =>
      shown.map((z) => (
        <option key={z} value={z}>
          {z}
        </option>
      )),
    [zones ?? selected],
  );
  return { options, load };
}

function Builder() {
  const channels = useLoad(() => get<Page<Channel>>("/v1/channels?limit=100"), []);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Trigger["kind"]>("schedule");
  const [cron, setCron] = useState("0 9 * * MON-FRI");
  const [tz, setTz] = useState(browserZone);
  const zonePicker = useZoneOptions(tz);
  const [every, setEvery] = useState(60);
  const [eventType, setEventType] = useState("");
  const [propKey, setPropKey] = useState("");
  const [propValue, setPropValue] = useState("");
  const [actionKind, setActionKind] = useState<Action["kind"]>("publish_post");
  const [channelId, setChannelId] = useState("");
  const [template, setTemplate] = useState("Scheduled by {{automation.name}} at {{scheduled_for}}");
  const [catchup, setCatchup] = useState<Automation["catchup"]>("latest");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const templateRef = useRef<HTMLTextAreaElement>(null);

  const trigger: Trigger =
    kind === "schedule"
      ? { kind, cron, timezone: tz }
      : kind === "rate"
        ? { kind, every_minutes: every }
        : { kind, event_type: eventType, ...(propKey ? { property_equals: { [propKey]: scalar(propValue) } } : {}) };
  const active = (channels.data?.items ?? []).filter((c) => c.status === "active");
  const chosen = channelId || active[0]?.id || "";
  const action: Action =
    actionKind === "publish_post"
      ? { kind: actionKind, channel_id: chosen, content_template: template }
      : { kind: actionKind, channel_id: chosen, ...(template ? { payload_template: template } : {}) };
  const fields = error instanceof ApiError ? error.fields() : {};
  const known = [
    "name",
    "trigger.cron",
    "trigger.timezone",
    "trigger.every_minutes",
    "trigger.event_type",
    "trigger.property_equals",
    "action.channel_id",
    "action.content_template",
    "action.payload_template",
    "catchup",
  ];

  const insert = (p: string) => {
    const el = templateRef.current;
    const at = el?.selectionStart ?? template.length;
    setTemplate(template.slice(0, at) + p + template.slice(el?.selectionEnd ?? at));
    el?.focus();
  };

  return (
    <>
      <h1>New automation</h1>
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const a = await api<Automation>("POST", "/v1/automations", { name, trigger, action, catchup });
            navigate(`/automations/${a.id}`);
          } catch (err) {
            setError(err);
            setBusy(false);
          }
        }}
      >
        <Field id="a-name" label="Name" error={fields.name}>
          {(a) => <input {...a} name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <fieldset>
          <legend>Trigger</legend>
          <div class="choices">
            {(
              [
                ["schedule", "Cron schedule"],
                ["rate", "Every N minutes"],
                ["event", "When an event arrives"],
              ] as const
            ).map(([k, label]) => (
              <label class="choice" key={k}>
                <input type="radio" name="trigger-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />{" "}
                {label}
              </label>
            ))}
          </div>
          {kind === "schedule" && (
            <div class="grid2">
              <Field
                id="a-cron"
                label="Cron (minute hour day month weekday)"
                error={fields["trigger.cron"] ?? fields.cron}
                hint="For example 0 9 * * MON-FRI, */15 * * * *."
              >
                {(a) => (
                  <input
                    {...a}
                    name="cron"
                    required
                    class="mono"
                    value={cron}
                    onInput={(e) => setCron(e.currentTarget.value)}
                  />
                )}
              </Field>
              <Field id="a-tz" label="Time zone" error={fields["trigger.timezone"] ?? fields.timezone}>
                {(a) => (
                  <select
                    {...a}
                    name="timezone"
                    value={tz}
                    onFocus={zonePicker.load}
                    onPointerDown={zonePicker.load}
                    onChange={(e) => setTz(e.currentTarget.value)}
                  >
                    {zonePicker.options}
                  </select>
                )}
              </Field>
            </div>
          )}
          {kind === "rate" && (
            <Field id="a-every" label="Every (minutes)" error={fields["trigger.every_minutes"]}>
              {(a) => (
                <input
                  {...a}
                  name="every_minutes"
                  type="number"
                  min={1}
                  max={10080}
                  required
                  value={every}
                  onInput={(e) => setEvery(Number(e.currentTarget.value))}
                />
              )}
            </Field>
          )}
          {kind === "event" && (
            <div class="grid3">
              <Field id="a-etype" label="Event type" error={fields["trigger.event_type"]}>
                {(a) => (
                  <input
                    {...a}
                    name="event_type"
                    required
                    placeholder="user.signup"
                    value={eventType}
                    onInput={(e) => setEventType(e.currentTarget.value)}
                  />
                )}
              </Field>
              <Field id="a-pkey" label="Property (optional)" error={fields["trigger.property_equals"]}>
                {(a) => (
                  <input
                    {...a}
                    name="property_key"
                    placeholder="plan"
                    value={propKey}
                    onInput={(e) => setPropKey(e.currentTarget.value)}
                  />
                )}
              </Field>
              <Field id="a-pval" label="equals">
                {(a) => (
                  <input
                    {...a}
                    name="property_value"
                    placeholder="pro"
                    value={propValue}
                    onInput={(e) => setPropValue(e.currentTarget.value)}
                  />
                )}
              </Field>
            </div>
          )}
          <Preview trigger={trigger} />
        </fieldset>
        <fieldset>
          <legend>Action</legend>
          <div class="choices">
            <label class="choice">
              <input
                type="radio"
                name="action-kind"
                value="publish_post"
                checked={actionKind === "publish_post"}
                onChange={() => setActionKind("publish_post")}
              />{" "}
              Publish a post
            </label>
            <label class="choice">
              <input
                type="radio"
                name="action-kind"
                value="webhook"
                checked={actionKind === "webhook"}
                onChange={() => setActionKind("webhook")}
              />{" "}
              Call the webhook
            </label>
          </div>
          <Field id="a-channel" label="Channel" error={fields["action.channel_id"]}>
            {(a) => (
              <select {...a} name="channel_id" value={chosen} onChange={(e) => setChannelId(e.currentTarget.value)}>
                {active.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            id="a-template"
            label={actionKind === "publish_post" ? "Content template" : "Payload template (optional)"}
            error={fields["action.content_template"] ?? fields["action.payload_template"]}
          >
            {(a) => (
              <textarea
                {...a}
                ref={templateRef}
                name="template"
                rows={3}
                value={template}
                onInput={(e) => setTemplate(e.currentTarget.value)}
              />
            )}
          </Field>
          <div class="placeholders" role="group" aria-label="Insert a placeholder">
            {PLACEHOLDERS.map((p) => (
              <button type="button" class="chip" key={p} onClick={() => insert(p)}>
                {p}
              </button>
            ))}
          </div>
        </fieldset>
        <Field id="a-catchup" label="After an outage" error={fields.catchup}>
          {(a) => (
            <select
              {...a}
              name="catchup"
              value={catchup}
              onChange={(e) => setCatchup(e.currentTarget.value as Automation["catchup"])}
            >
              <option value="latest">run the latest missed occurrence once</option>
              <option value="all">run every missed occurrence</option>
              <option value="none">skip missed occurrences</option>
            </select>
          )}
        </Field>
        {otherFieldErrors(fields, known).map((m) => (
          <p class="field-error" key={m}>
            {m}
          </p>
        ))}
        <ErrorMessage error={error && !Object.keys(fields).length ? error : undefined} />
        <button type="submit" disabled={busy || !chosen}>
          Create automation
        </button>
      </form>
    </>
  );
}

function scalar(v: string): string | number | boolean {
  if (v === "true" || v === "false") return v === "true";
  return v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
}

function AutomationDetails({ id }: { id: string }) {
  const s = useSignal(session);
  const path = `/v1/automations/${encodeURIComponent(id)}`;
  const auto = useLoad(() => get<Automation>(path), [id], POLL_MS);
  const runs = useLoad(() => get<Page<Run>>(`${path}/runs?limit=50`), [id], POLL_MS);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const a = auto.data;
  const act = async (f: () => Promise<string>) => {
    setError(undefined);
    setNotice("");
    try {
      setNotice(await f());
      await auto.reload();
      await runs.reload();
    } catch (e) {
      setError(e);
    }
  };
  // Nothing but the way back until the automation is read: its summary drawn later would push
  // the run history down (layout shift).
  if (!a && !auto.error) {
    return (
      <>
        <BackLink to="/automations">All automations</BackLink>
        <p class="visually-hidden" role="status">
          Loading the automation…
        </p>
      </>
    );
  }
  return (
    <>
      <BackLink to="/automations">All automations</BackLink>
      <h1>{a?.name ?? "Automation"}</h1>
      <ErrorMessage error={auto.error ?? error} />
      {notice && <Notice>{notice}</Notice>}
      {a && (
        <section class="card" aria-label="Summary">
          <p>
            <Badge status={a.enabled ? "active" : "paused"} />{" "}
            {a.disabled_reason &&
              `Paused: ${a.disabled_reason === "failing" ? "10 runs in a row failed." : a.disabled_reason}`}
          </p>
          <dl class="facts">
            <dt>Trigger</dt>
            <dd>{describeTrigger(a.trigger)}</dd>
            <dt>Action</dt>
            <dd>
              {a.action.kind === "publish_post" ? "publish a post" : "call the webhook"}:{" "}
              <code>
                {a.action.kind === "publish_post"
                  ? a.action.content_template
                  : (a.action.payload_template ?? "(default payload)")}
              </code>
            </dd>
            <dt>Next run</dt>
            <dd>
              {a.next_run_at ? (
                <>
                  {local(a.next_run_at)} <span class="utc">({utc(a.next_run_at)} UTC)</span>
                </>
              ) : (
                "—"
              )}
            </dd>
            <dt>Last run</dt>
            <dd>{local(a.last_run_at)}</dd>
            <dt>Catch-up</dt>
            <dd>{a.catchup}</dd>
          </dl>
          {canWrite(s) && (
            <div class="actions">
              <button
                type="button"
                onClick={() =>
                  act(async () => {
                    await api("POST", `${path}/run`);
                    return "Run started: it appears in the history below.";
                  })
                }
              >
                Run now
              </button>
              <button
                type="button"
                class="secondary"
                onClick={() =>
                  act(async () => {
                    await api("PATCH", path, { enabled: !a.enabled });
                    return a.enabled ? "Paused." : "Resumed from now.";
                  })
                }
              >
                {a.enabled ? "Pause" : "Resume"}
              </button>
              <button
                type="button"
                class="danger"
                onClick={async () => {
                  if (!confirm(`Delete “${a.name}”?`)) return;
                  try {
                    await api("DELETE", path);
                    navigate("/automations");
                  } catch (e) {
                    setError(e);
                  }
                }}
              >
                Delete
              </button>
            </div>
          )}
        </section>
      )}
      <section class="card" aria-labelledby="runs-h">
        <h2 id="runs-h">Run history</h2>
        <ErrorMessage error={runs.error} />
        {runs.data && !runs.data.items.length && <Empty>No runs yet.</Empty>}
        {runs.data && runs.data.items.length > 0 && (
          <div class="scroll">
            <table data-testid="runs">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Status</th>
                  <th scope="col">For</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.items.map((r) => (
                  <tr key={r.id}>
                    <td>{local(r.started_at)}</td>
                    <td>{r.trigger}</td>
                    <td>
                      <Badge status={r.status} />
                    </td>
                    <td>{local(r.scheduled_for)}</td>
                    <td>
                      {r.error ?? ""}
                      {r.post_id && <a href={href(`/posts/${r.post_id}`)}>post</a>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
