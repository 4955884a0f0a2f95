/** Events: the analytics chart, a filterable list that pages on with next_cursor, and one
 * event's details. */
import { useState } from "preact/hooks";
import { api, get, query, type Page } from "../api";
import { useLoad, POLL_MS } from "../poll";
import { href, navigate } from "../router";
import { canWrite, session } from "../session";
import { useSignal } from "../signal";
import { fromLocalInput, local, utc } from "../time";
import type { Analytics, Event } from "../types";
import { BackLink, Empty, ErrorMessage, Field } from "../ui";
import { PALETTE, StackedChart, typesOf } from "../chart";
import { ApiError } from "../errors";

type Filters = { type: string; from: string; to: string };

/** One event has a page of its own: drawn above the chart and the list, its card pushed both
 * down when it arrived. */
export function EventsPage({ id }: { id?: string }) {
  if (id) {
    return (
      <>
        <BackLink to="/events">All events</BackLink>
        <h1>Event</h1>
        <EventDetails id={id} />
      </>
    );
  }
  return (
    <>
      <h1>Events</h1>
      <AnalyticsPanel />
      <EventList />
    </>
  );
}

function AnalyticsPanel() {
  const [granularity, setGranularity] = useState<"hour" | "day">("hour");
  const { data, error } = useLoad(
    () => {
      const to = new Date();
      const span = granularity === "hour" ? 24 * 3600e3 : 30 * 24 * 3600e3;
      const from = new Date(to.getTime() - span);
      const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
      return get<Analytics>(`/v1/analytics/events${query({ granularity, from: iso(from), to: iso(to) })}`);
    },
    [granularity],
    POLL_MS * 6,
  );
  const types = data ? typesOf(data) : [];
  const label = data
    ? `${data.total} events ${granularity === "hour" ? "in the last 24 hours, by hour" : "in the last 30 days, by day"}, stacked by type`
    : "Loading the chart";
  return (
    <section class="card" aria-labelledby="analytics-h">
      <div class="row spread">
        <h2 id="analytics-h">Activity</h2>
        <div role="group" aria-label="Granularity" class="segmented">
          {(["hour", "day"] as const).map((g) => (
            <button key={g} type="button" aria-pressed={granularity === g} onClick={() => setGranularity(g)}>
              {g === "hour" ? "Hourly, 24 h" : "Daily, 30 days"}
            </button>
          ))}
        </div>
      </div>
      <ErrorMessage error={error} />
      {/* The chart's box, a line of legend and the numbers' summary are there before the data,
          so nothing below them moves when it arrives. */}
      {!data && (
        <>
          <div class="chart" aria-hidden="true" />
          <ul class="legend" aria-hidden="true">
            <li>&nbsp;</li>
          </ul>
          <details>
            <summary>Show the numbers</summary>
          </details>
        </>
      )}
      {data && (
        <>
          <StackedChart data={data} label={label} />
          <ul class="legend" aria-label="Event types">
            {types.map((t, i) => (
              <li key={t}>
                <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" /> {t}
              </li>
            ))}
            {!types.length && <li>No events in this span: every bucket is empty.</li>}
          </ul>
          <details>
            <summary>Show the numbers</summary>
            <div class="scroll">
              <table>
                <caption>{label}</caption>
                <thead>
                  <tr>
                    <th scope="col">Bucket start</th>
                    <th scope="col">Total</th>
                    {types.map((t) => (
                      <th scope="col" key={t}>
                        {t}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.buckets.map((b) => (
                    <tr key={b.start}>
                      <td>{local(b.start)}</td>
                      <td>{b.total}</td>
                      {types.map((t) => (
                        <td key={t}>{b.counts[t] ?? 0}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

function EventList() {
  const [draft, setDraft] = useState<Filters>({ type: "", from: "", to: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  const [pages, setPages] = useState<Event[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>();
  const q = (c?: string | null) =>
    `/v1/events${query({ type: filters.type, from: fromLocalInput(filters.from), to: fromLocalInput(filters.to), limit: 25, cursor: c })}`;
  const first = useLoad(
    async () => {
      const p = await get<Page<Event>>(q());
      setPages([]);
      setCursor(p.next_cursor);
      return p;
    },
    [filters],
    POLL_MS * 2,
  );
  const loadMore = async () => {
    setMoreError(undefined);
    try {
      const p = await get<Page<Event>>(q(cursor));
      setPages((ps) => [...ps, p.items]);
      setCursor(p.next_cursor);
    } catch (e) {
      setMoreError(e);
    }
  };
  const fields = first.error instanceof ApiError ? first.error.fields() : {};
  const items = [...(first.data?.items ?? []), ...pages.flat()];
  return (
    <section class="card" aria-labelledby="events-h">
      <h2 id="events-h">Recent events</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...draft });
        }}
      >
        <Field id="f-type" label="Type" error={fields.type}>
          {(a) => (
            <input
              {...a}
              name="type"
              placeholder="user.signup"
              value={draft.type}
              onInput={(e) => setDraft({ ...draft, type: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="f-from" label="From" error={fields.from}>
          {(a) => (
            <input
              {...a}
              type="datetime-local"
              name="from"
              value={draft.from}
              onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="f-to" label="To" error={fields.to}>
          {(a) => (
            <input
              {...a}
              type="datetime-local"
              name="to"
              value={draft.to}
              onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
            />
          )}
        </Field>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorMessage error={first.error && !Object.keys(fields).length ? first.error : undefined} />
      {first.data && !items.length && <Empty>No events match.</Empty>}
      {items.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Source</th>
                <th scope="col">Id</th>
              </tr>
            </thead>
            <tbody>
              {items.map((ev) => (
                <tr key={ev.id}>
                  <td>
                    <time dateTime={ev.occurred_at} title={utc(ev.occurred_at)}>
                      {local(ev.occurred_at)}
                    </time>
                  </td>
                  <td>
                    <a href={href(`/events/${ev.id}`)}>{ev.type}</a>
                  </td>
                  <td>{ev.source ?? "—"}</td>
                  <td>
                    <code title={ev.id}>{ev.id.slice(-8)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorMessage error={moreError} />
      {cursor && (
        <button type="button" class="secondary" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </section>
  );
}

function EventDetails({ id }: { id: string }) {
  const s = useSignal(session);
  const { data, error } = useLoad(() => get<Event>(`/v1/events/${encodeURIComponent(id)}`), [id]);
  const [delError, setDelError] = useState<unknown>();
  return (
    <section class="card" aria-labelledby="event-h">
      <h2 id="event-h">Details</h2>
      <ErrorMessage error={error ?? delError} />
      {data && (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{data.id}</code>
            </dd>
            <dt>Type</dt>
            <dd>{data.type}</dd>
            <dt>Occurred</dt>
            <dd>
              {local(data.occurred_at)} <span class="utc">({utc(data.occurred_at)})</span>
            </dd>
            <dt>Source</dt>
            <dd>{data.source ?? "—"}</dd>
            <dt>Recorded</dt>
            <dd>{local(data.created_at)}</dd>
          </dl>
          <h3>Properties</h3>
          <pre class="json">{JSON.stringify(data.properties, null, 2)}</pre>
          {canWrite(s) && (
            <button
              type="button"
              class="danger"
              onClick={async () => {
                if (!confirm("Delete this event? Analytics counts drop with it.")) return;
                try {
                  await api("DELETE", `/v1/events/${encodeURIComponent(id)}`);
                  navigate("/events");
                } catch (e) {
                  setDelError(e);
                }
              }}
            >
              Delete event
            </button>
          )}
        </>
      )}
    </section>
  );
}
