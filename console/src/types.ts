/** The API's resources, as API.md defines them. */
export type Event = {
  id: string;
  type: string;
  occurred_at: string;
  source: string | null;
  properties: Record<string, unknown>;
  created_at: string;
};

export type Analytics = {
  granularity: "hour" | "day";
  from: string;
  to: string;
  total: number;
  buckets: { start: string; total: number; counts: Record<string, number> }[];
};

export type Channel = {
  id: string;
  name: string;
  kind: "webhook";
  url: string;
  status: "active" | "disabled";
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  signing_secret?: string;
};

export type PostStatus = "draft" | "scheduled" | "publishing" | "published" | "failed" | "cancelled";

export type Post = {
  id: string;
  channel_id: string;
  content: string;
  media_urls: string[];
  status: PostStatus;
  scheduled_at: string | null;
  published_at: string | null;
  attempts: number;
  last_error: string | null;
  automation_id: string | null;
  webhook_id: string | null;
  created_at: string;
  updated_at: string;
};

export type Attempt = {
  n: number;
  at: string;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
};

export type Trigger =
  | { kind: "schedule"; cron: string; timezone: string }
  | { kind: "rate"; every_minutes: number }
  | { kind: "event"; event_type: string; property_equals?: Record<string, string | number | boolean> };

export type Action =
  | { kind: "publish_post"; channel_id: string; content_template: string }
  | { kind: "webhook"; channel_id: string; payload_template?: string };

export type Automation = {
  id: string;
  name: string;
  enabled: boolean;
  disabled_reason: string | null;
  trigger: Trigger;
  action: Action;
  catchup: "latest" | "all" | "none";
  next_run_at: string | null;
  last_run_at: string | null;
  consecutive_failures: number;
  created_at: string;
  updated_at: string;
};

export type Run = {
  id: string;
  trigger: "schedule" | "event" | "manual";
  scheduled_for: string | null;
  status: "succeeded" | "failed" | "skipped";
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  post_id: string | null;
  event_id: string | null;
};

export type PreviewRun = { at: string; local: string; offset: string };
