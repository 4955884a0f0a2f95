/** Posts: compose (time picked in the browser's zone, UTC shown beside it), the upcoming list
 * and a week calendar with live state badges, and one post's attempts with the actions its state
 * allows. */
import { useMemo, useState } from "preact/hooks";
import { api, get, query, type Page } from "../api";
import { ApiError } from "../errors";
import { useLoad, POLL_MS } from "../poll";
import { href } from "../router";
import { canWrite, session } from "../session";
import { useSignal } from "../signal";
import { browserZone, fromLocalInput, local, toLocalInput, utc } from "../time";
import type { Attempt, Channel, Post, PostStatus } from "../types";
import { BackLink, Badge, Empty, ErrorMessage, Field, Notice, otherFieldErrors } from "../ui";

const EDITABLE: PostStatus[] = ["draft", "scheduled"];

/** What a 409 means for each action, in words. */
function explain409(action: string, e: unknown): unknown {
  if (!(e instanceof ApiError) || e.status !== 409) return e;
  return new ApiError(
    409,
    "Conflict",
    `The post could not be ${action}: it changed state meanwhile (${e.detail || "see its status"}). Only draft and scheduled posts can be edited or cancelled, and only failed ones retried.`,
  );
}

/** The channels' names by id, for showing a post's channel; `loaded` once the list came (or
 * failed), so that a name is not replaced by an id that was only waiting for it. */
function useChannelNames() {
  const channels = useLoad(() => get<Page<Channel>>("/v1/channels?limit=100"), []);
  const names = useMemo(() => new Map((channels.data?.items ?? []).map((c) => [c.id, c.name])), [channels.data]);
  return { channels, names, loaded: !!channels.data || !!channels.error };
}

/** One post has a page of its own: drawn above the list, its card pushed the list down when it
 * arrived (layout shift). */
export function PostsPage({ id }: { id?: string }) {
  return id ? <PostPage id={id} /> : <PostsOverview />;
}

function PostPage({ id }: { id: string }) {
  const { names, loaded } = useChannelNames();
  return (
    <>
      <BackLink to="/posts">All posts</BackLink>
      <h1>Post</h1>
      <PostDetails id={id} names={names} namesLoaded={loaded} />
    </>
  );
}

function PostsOverview() {
  const s = useSignal(session);
  const { channels, names } = useChannelNames();
  const posts = useLoad(() => get<Page<Post>>("/v1/posts?limit=100"), [], POLL_MS);
  const [view, setView] = useState<"list" | "week">("list");
  return (
    <>
      <h1>Posts</h1>
      {canWrite(s) && <Compose channels={channels.data?.items} onCreated={() => void posts.reload()} />}
      <section class="card" aria-labelledby="posts-h">
        <div class="row spread">
          <h2 id="posts-h">{view === "list" ? "Upcoming and recent" : "This week"}</h2>
          <div role="group" aria-label="View" class="segmented">
            <button type="button" aria-pressed={view === "list"} onClick={() => setView("list")}>
              List
            </button>
            <button type="button" aria-pressed={view === "week"} onClick={() => setView("week")}>
              Week
            </button>
          </div>
        </div>
        <ErrorMessage error={posts.error} />
        {posts.data && !posts.data.items.length && <Empty>No posts yet.</Empty>}
        {posts.data &&
          posts.data.items.length > 0 &&
          (view === "list" ? <PostList posts={posts.data.items} names={names} /> : <Week posts={posts.data.items} />)}
      </section>
    </>
  );
}

function PostList({ posts, names }: { posts: Post[]; names: Map<string, string> }) {
  return (
    <ul class="posts">
      {posts.map((p) => (
        <li key={p.id} class="item" data-testid="post" data-id={p.id}>
          <div class="row spread">
            <a href={href(`/posts/${p.id}`)}>{p.content.length > 80 ? `${p.content.slice(0, 80)}…` : p.content}</a>
            <Badge status={p.status} />
          </div>
          <p class="meta">
            {p.scheduled_at ? (
              <>
                {local(p.scheduled_at)} <span class="utc">({utc(p.scheduled_at)})</span>
              </>
            ) : (
              "Draft, not scheduled"
            )}
            {" · "}
            {names.get(p.channel_id) ?? "channel"}
            {p.attempts > 0 && ` · ${p.attempts} attempt${p.attempts > 1 ? "s" : ""}`}
          </p>
        </li>
      ))}
    </ul>
  );
}

function startOfWeek(d: Date): Date {
  const s = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  s.setDate(s.getDate() - ((s.getDay() + 6) % 7));
  return s;
}

function Week({ posts }: { posts: Post[] }) {
  const [offset, setOffset] = useState(0);
  const start = startOfWeek(new Date());
  start.setDate(start.getDate() + offset * 7);
  const days = Array.from(
    { length: 7 },
    (_, i) => new Date(start.getFullYear(), start.getMonth(), start.getDate() + i),
  );
  const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
  const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
  const onDay = (d: Date) =>
    posts.filter((p) => {
      if (!p.scheduled_at) return false;
      const t = new Date(p.scheduled_at);
      return t.getFullYear() === d.getFullYear() && t.getMonth() === d.getMonth() && t.getDate() === d.getDate();
    });
  return (
    <>
      <div class="row">
        <button type="button" class="secondary" onClick={() => setOffset(offset - 1)}>
          Previous week
        </button>
        <button type="button" class="secondary" onClick={() => setOffset(0)}>
          This week
        </button>
        <button type="button" class="secondary" onClick={() => setOffset(offset + 1)}>
          Next week
        </button>
      </div>
      <ol class="week" aria-label={`Week of ${dayFmt.format(days[0]!)} (${browserZone})`}>
        {days.map((d) => (
          <li key={d.toISOString()} class="day">
            <h3>{dayFmt.format(d)}</h3>
            <ul>
              {onDay(d).map((p) => (
                <li key={p.id}>
                  <a href={href(`/posts/${p.id}`)}>
                    <time dateTime={p.scheduled_at!}>{timeFmt.format(new Date(p.scheduled_at!))}</time>{" "}
                    {p.content.slice(0, 40)}
                  </a>{" "}
                  <Badge status={p.status} />
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </>
  );
}

/** `channels` is undefined until they are loaded. */
function Compose({ channels, onCreated }: { channels?: Channel[]; onCreated: (p: Post) => void }) {
  const active = (channels ?? []).filter((c) => c.status === "active");
  const [channelId, setChannelId] = useState("");
  const [content, setContent] = useState("");
  const [when, setWhen] = useState(() => toLocalInput(new Date(Date.now() + 3600e3)).slice(0, 16));
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<Post>();
  const [busy, setBusy] = useState(false);
  const scheduledAt = fromLocalInput(when);
  const fields = error instanceof ApiError ? error.fields() : {};
  const others = otherFieldErrors(fields, ["channel_id", "content", "scheduled_at"]);
  const chosen = channelId || active[0]?.id || "";
  return (
    <section class="card" aria-labelledby="compose-h">
      <h2 id="compose-h">Compose a post</h2>
      {channels && !active.length && (
        <p class="hint">There is no active channel yet: an admin creates one under Channels.</p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          setCreated(undefined);
          try {
            const body: Record<string, unknown> = { channel_id: chosen, content };
            if (scheduledAt) body.scheduled_at = scheduledAt;
            const p = await api<Post>("POST", "/v1/posts", body);
            setContent("");
            setCreated(p);
            onCreated(p);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field id="p-channel" label="Channel" error={fields.channel_id}>
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
        <Field id="p-content" label="Content" error={fields.content}>
          {(a) => (
            <textarea
              {...a}
              name="content"
              required
              maxLength={5000}
              rows={3}
              value={content}
              onInput={(e) => setContent(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="p-when"
          label={`Publish at (your time, ${browserZone})`}
          error={fields.scheduled_at}
          hint={
            <span data-testid="utc-preview">
              {scheduledAt ? `That is ${utc(scheduledAt)} UTC.` : "Empty: saved as a draft."}
            </span>
          }
        >
          {(a) => (
            <input
              {...a}
              type="datetime-local"
              step={1}
              name="scheduled_at"
              value={when}
              onInput={(e) => setWhen(e.currentTarget.value)}
            />
          )}
        </Field>
        {others.map((m) => (
          <p class="field-error" key={m}>
            {m}
          </p>
        ))}
        <ErrorMessage error={error && !Object.keys(fields).length ? error : undefined} />
        <button type="submit" disabled={busy || !chosen}>
          {scheduledAt ? "Schedule post" : "Save draft"}
        </button>
      </form>
      {created && (
        <Notice>
          Post {created.status}. <a href={href(`/posts/${created.id}`)}>Open it</a>.
        </Notice>
      )}
    </section>
  );
}

function PostDetails({ id, names, namesLoaded }: { id: string; names: Map<string, string>; namesLoaded: boolean }) {
  const s = useSignal(session);
  const path = `/v1/posts/${encodeURIComponent(id)}`;
  const post = useLoad(() => get<Post>(path), [id], POLL_MS);
  const attempts = useLoad(
    () => get<Page<Attempt> | Attempt[]>(`${path}/attempts${query({ limit: 100 })}`),
    [id],
    POLL_MS,
  );
  const [error, setError] = useState<unknown>();
  const [editing, setEditing] = useState(false);
  const p = post.data;
  const act = async (action: string, f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
      await post.reload();
      await attempts.reload();
    } catch (e) {
      setError(explain409(action, e));
    }
  };
  const list = Array.isArray(attempts.data) ? attempts.data : (attempts.data?.items ?? []);
  return (
    <section class="card" aria-labelledby="post-h" data-testid="post-details">
      <h2 id="post-h">Details</h2>
      <ErrorMessage error={post.error ?? error} />
      {p && (
        <>
          <p>
            <Badge status={p.status} />
          </p>
          {editing ? (
            <EditPost
              post={p}
              onDone={(changed) => {
                setEditing(false);
                if (changed) void act("edited", async () => undefined);
              }}
            />
          ) : (
            <dl class="facts">
              <dt>Content</dt>
              <dd class="content">{p.content}</dd>
              <dt>Channel</dt>
              {/* The id only once the names are in: drawn first, the long id took two lines on a
                  phone and the name then one, moving everything below it. */}
              <dd>{names.get(p.channel_id) ?? (namesLoaded ? p.channel_id : "…")}</dd>
              <dt>Scheduled</dt>
              <dd>
                {p.scheduled_at ? (
                  <>
                    {local(p.scheduled_at)} <span class="utc">({utc(p.scheduled_at)} UTC)</span>
                  </>
                ) : (
                  "not scheduled (draft)"
                )}
              </dd>
              <dt>Published</dt>
              <dd>{local(p.published_at)}</dd>
              {p.last_error && (
                <>
                  <dt>Last error</dt>
                  <dd>{p.last_error}</dd>
                </>
              )}
              {p.automation_id && (
                <>
                  <dt>Automation</dt>
                  <dd>
                    <a href={href(`/automations/${p.automation_id}`)}>{p.automation_id}</a>
                  </dd>
                </>
              )}
            </dl>
          )}
          {canWrite(s) && !editing && (
            <div class="actions">
              {EDITABLE.includes(p.status) && (
                <button type="button" onClick={() => setEditing(true)}>
                  Edit
                </button>
              )}
              {EDITABLE.includes(p.status) && (
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    confirm("Cancel this post? It will not be sent.") &&
                    void act("cancelled", () => api("DELETE", path))
                  }
                >
                  Cancel post
                </button>
              )}
              {p.status === "failed" && (
                <button type="button" onClick={() => void act("retried", () => api("POST", `${path}/retry`))}>
                  Retry now
                </button>
              )}
            </div>
          )}
          <h3>Delivery attempts</h3>
          <ErrorMessage error={attempts.error} />
          {!attempts.data ? null : !list.length ? (
            <Empty>No attempt yet.</Empty>
          ) : (
            <ol class="timeline" data-testid="attempts">
              {list.map((a) => (
                <li key={a.n} class={a.status_code && a.status_code < 300 ? "ok" : "bad"}>
                  <strong>Attempt {a.n}</strong> · <time dateTime={a.at}>{local(a.at)}</time> ·{" "}
                  {a.status_code !== null ? `HTTP ${a.status_code}` : "no answer"}
                  {a.latency_ms !== null && ` · ${a.latency_ms} ms`}
                  {a.error && ` · ${a.error}`}
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

function EditPost({ post, onDone }: { post: Post; onDone: (changed: boolean) => void }) {
  const [content, setContent] = useState(post.content);
  const [when, setWhen] = useState(post.scheduled_at ? toLocalInput(new Date(post.scheduled_at)) : "");
  const [error, setError] = useState<unknown>();
  const scheduledAt = fromLocalInput(when);
  const fields = error instanceof ApiError ? error.fields() : {};
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          await api("PATCH", `/v1/posts/${encodeURIComponent(post.id)}`, { content, scheduled_at: scheduledAt });
          onDone(true);
        } catch (err) {
          setError(explain409("edited", err));
        }
      }}
    >
      <Field id="e-content" label="Content" error={fields.content}>
        {(a) => (
          <textarea
            {...a}
            name="content"
            required
            rows={3}
            value={content}
            onInput={(e) => setContent(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        id="e-when"
        label={`Publish at (your time, ${browserZone})`}
        error={fields.scheduled_at}
        hint={scheduledAt ? `That is ${utc(scheduledAt)} UTC.` : "Empty: back to draft."}
      >
        {(a) => (
          <input
            {...a}
            type="datetime-local"
            step={1}
            name="scheduled_at"
            value={when}
            onInput={(e) => setWhen(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorMessage error={error && !Object.keys(fields).length ? error : undefined} />
      <div class="actions">
        <button type="submit">Save changes</button>
        <button type="button" class="secondary" onClick={() => onDone(false)}>
          Discard
        </button>
      </div>
    </form>
  );
}
