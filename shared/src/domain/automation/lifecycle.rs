//! How an automation comes to be and changes: the rules that decide `next_run_at`.
//!
//! `next_run_at` is the trigger's next occurrence after now whenever the schedule (re)starts:
//! at creation, on resume, and when the trigger changes. It is `null` while paused and for event
//! triggers. Any other edit leaves it alone, so that a rename never drops an occurrence the
//! dispatcher has not reached yet.

use super::{Automation, AutomationId, AutomationPatch, NewAutomation};
use crate::domain::time::Timestamp;

impl Automation {
    /// A new automation, created now.
    pub fn create(new: NewAutomation, now: Timestamp) -> Self {
        let next_run_at = if new.enabled {
            new.trigger.next_after(now)
        } else {
            None
        };
        Self {
            id: AutomationId::generate(),
            name: new.name,
            enabled: new.enabled,
            disabled_reason: None,
            trigger: new.trigger,
            action: new.action,
            catchup: new.catchup,
            next_run_at,
            last_run_at: None,
            consecutive_failures: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

impl AutomationPatch {
    /// `current` with this patch applied now. `enabled: false` pauses (no `next_run_at`);
    /// `enabled: true` on a paused automation resumes it from now — what it missed while paused
    /// is not caught up — and gives it a clean record (no `disabled_reason`, no failures in a
    /// row). A new trigger on an enabled automation restarts its schedule from now.
    pub fn apply(&self, current: &Automation, now: Timestamp) -> Automation {
        let enabled = self.enabled.unwrap_or(current.enabled);
        let resumed = enabled && !current.enabled;
        let trigger = self
            .trigger
            .clone()
            .unwrap_or_else(|| current.trigger.clone());
        let restart = resumed || trigger != current.trigger;
        let next_run_at = match (enabled, restart) {
            (false, _) => None,
            (true, true) => trigger.next_after(now),
            (true, false) => current.next_run_at,
        };
        Automation {
            id: current.id,
            name: self.name.clone().unwrap_or_else(|| current.name.clone()),
            enabled,
            disabled_reason: if resumed {
                None
            } else {
                current.disabled_reason
            },
            trigger,
            action: self
                .action
                .clone()
                .unwrap_or_else(|| current.action.clone()),
            catchup: self.catchup.unwrap_or(current.catchup),
            next_run_at,
            last_run_at: current.last_run_at,
            consecutive_failures: if resumed {
                0
            } else {
                current.consecutive_failures
            },
            created_at: current.created_at,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::AutomationDisabledReason;
    use crate::json_body::JsonObject;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    fn new(body: &str) -> NewAutomation {
        NewAutomation::parse(JsonObject::parse(body.as_bytes()).unwrap()).unwrap()
    }

    fn patch(body: &str) -> AutomationPatch {
        AutomationPatch::parse(JsonObject::parse(body.as_bytes()).unwrap()).unwrap()
    }

    const HOURLY: &str = r#"{"name":"hourly","trigger":{"kind":"schedule","cron":"0 * * * *","timezone":"UTC"},"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000"}}"#;

    #[test]
    fn creation_sets_the_next_run_only_when_enabled_on_a_schedule() {
        let now = at("2026-06-01T12:10:00Z");
        let a = Automation::create(new(HOURLY), now);
        assert_eq!(a.next_run_at, Some(at("2026-06-01T13:00:00Z")));
        assert_eq!((a.created_at, a.updated_at), (now, now));
        let paused = HOURLY.replacen('{', r#"{"enabled":false,"#, 1);
        assert_eq!(Automation::create(new(&paused), now).next_run_at, None);
        let event = r#"{"name":"e","trigger":{"kind":"event","event_type":"user.signup"},"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000"}}"#;
        assert_eq!(Automation::create(new(event), now).next_run_at, None);
        let rate = r#"{"name":"r","trigger":{"kind":"rate","every_minutes":30},"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000"}}"#;
        assert_eq!(
            Automation::create(new(rate), now).next_run_at,
            Some(at("2026-06-01T12:30:00Z"))
        );
    }

    #[test]
    fn a_rename_keeps_the_next_run_and_a_new_trigger_restarts_it() {
        let created = Automation::create(new(HOURLY), at("2026-06-01T12:10:00Z"));
        // The dispatcher has moved on since.
        let mut current = created.clone();
        current.next_run_at = Some(at("2026-06-01T14:00:00Z"));
        let later = at("2026-06-01T13:30:00Z");
        let renamed = patch(r#"{"name":"renamed"}"#).apply(&current, later);
        assert_eq!(renamed.name.as_str(), "renamed");
        assert_eq!(renamed.next_run_at, current.next_run_at);
        assert_eq!(renamed.updated_at, later);
        assert_eq!(renamed.created_at, created.created_at);
        let same = patch(r#"{"trigger":{"kind":"schedule","cron":"0 * * * *","timezone":"UTC"}}"#)
            .apply(&current, later);
        assert_eq!(same.next_run_at, current.next_run_at);
        let moved =
            patch(r#"{"trigger":{"kind":"rate","every_minutes":15}}"#).apply(&current, later);
        assert_eq!(moved.next_run_at, Some(at("2026-06-01T13:45:00Z")));
    }

    #[test]
    fn pausing_clears_the_next_run_and_resuming_starts_from_now_with_a_clean_record() {
        let current = Automation::create(new(HOURLY), at("2026-06-01T12:10:00Z"));
        let paused = patch(r#"{"enabled":false}"#).apply(&current, at("2026-06-01T12:20:00Z"));
        assert!(!paused.enabled);
        assert_eq!(paused.next_run_at, None);
        // Paused by the service after failures, then resumed hours later.
        let mut failing = paused.clone();
        failing.disabled_reason = Some(AutomationDisabledReason::Failing);
        failing.consecutive_failures = 10;
        let trigger_only = patch(r#"{"trigger":{"kind":"rate","every_minutes":15}}"#)
            .apply(&failing, at("2026-06-01T18:05:00Z"));
        assert_eq!(trigger_only.next_run_at, None, "still paused");
        assert_eq!(trigger_only.disabled_reason, failing.disabled_reason);
        let resumed = patch(r#"{"enabled":true}"#).apply(&failing, at("2026-06-01T18:05:00Z"));
        assert!(resumed.enabled);
        assert_eq!(resumed.next_run_at, Some(at("2026-06-01T19:00:00Z")));
        assert_eq!(resumed.disabled_reason, None);
        assert_eq!(resumed.consecutive_failures, 0);
        // `enabled: true` on an enabled automation is no resume: nothing restarts.
        let mut running = current.clone();
        running.consecutive_failures = 3;
        let again = patch(r#"{"enabled":true}"#).apply(&running, at("2026-06-01T18:05:00Z"));
        assert_eq!(again.next_run_at, running.next_run_at);
        assert_eq!(again.consecutive_failures, 3);
    }
}
