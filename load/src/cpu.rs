//! Where the machine's CPU went during a window, split by the stack's parts: the gateway
//! (ofauto-local), the function processes, DynamoDB Local (java), moto (python), this load
//! generator, and everything else on the machine (other jobs share it). Read from /proc, Linux
//! only; elsewhere the split is simply empty.

use std::collections::{BTreeMap, HashMap};
use std::fs;

/// Cumulative CPU ticks by category, and the machine's total, at one instant.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    by_part: BTreeMap<&'static str, u64>,
    total: u64,
    busy: u64,
}

struct Proc {
    ppid: u32,
    comm: String,
    ticks: u64,
}

fn processes() -> HashMap<u32, Proc> {
    let mut all = HashMap::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return all;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(p) = fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| parse_stat(&s))
        {
            all.insert(pid, p);
        }
    }
    all
}

/// `pid (comm) state ppid ... utime stime ...`: comm may hold spaces, so split at its last ')'.
fn parse_stat(line: &str) -> Option<Proc> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let comm = line[open + 1..close].to_string();
    let rest: Vec<&str> = line[close + 1..].split_whitespace().collect();
    // rest[0] is the state, rest[1] ppid, rest[11] utime, rest[12] stime.
    let ppid = rest.get(1)?.parse().ok()?;
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some(Proc {
        ppid,
        comm,
        ticks: utime + stime,
    })
}

/// The machine's (total, busy) ticks from the first line of /proc/stat.
fn machine() -> (u64, u64) {
    let Ok(stat) = fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total, total.saturating_sub(idle))
}

fn part_of(comm: &str, is_root: bool) -> &'static str {
    if is_root {
        "ofauto-local (gateway, runtime API, pollers)"
    } else if comm == "java" {
        "DynamoDB Local (java)"
    } else if comm.starts_with("python") || comm.starts_with("moto") {
        "moto (python)"
    } else if comm == "node" || comm == "npm" {
        "node"
    } else {
        "function processes"
    }
}

/// The pid of the ofauto-local process serving `port`, from its command line.
pub fn find_stack(port: u16) -> Option<u32> {
    let want = port.to_string();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(raw) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_stack = args.first().is_some_and(|a| a.ends_with("ofauto-local"));
        let on_port = args.windows(2).any(|w| w[0] == "--port" && w[1] == want);
        if is_stack && on_port {
            return Some(pid);
        }
    }
    None
}

pub fn snapshot(stack: Option<u32>) -> Snapshot {
    let (total, busy) = machine();
    let procs = processes();
    let me = std::process::id();
    let mut by_part: BTreeMap<&'static str, u64> = BTreeMap::new();
    if let Some(root) = stack {
        for (pid, p) in &procs {
            if *pid == root || descends_from(*pid, root, &procs) {
                *by_part.entry(part_of(&p.comm, *pid == root)).or_default() += p.ticks;
            }
        }
    }
    if let Some(p) = procs.get(&me) {
        by_part.insert("ofauto-load (this load generator)", p.ticks);
    }
    Snapshot {
        by_part,
        total,
        busy,
    }
}

fn descends_from(mut pid: u32, root: u32, procs: &HashMap<u32, Proc>) -> bool {
    for _ in 0..32 {
        match procs.get(&pid) {
            Some(p) if p.ppid == root => return true,
            Some(p) if p.ppid > 1 => pid = p.ppid,
            _ => return false,
        }
    }
    false
}

/// Each part's CPU between two snapshots, in percent of one core, then the rest of the machine
/// and its idle share; empty when /proc could not be read.
pub fn split(before: &Snapshot, after: &Snapshot) -> Vec<(String, f64)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let elapsed = after.total.saturating_sub(before.total) as f64 / cores;
    if elapsed <= 0.0 {
        return Vec::new();
    }
    let pct = |ticks: u64| 100.0 * ticks as f64 / elapsed;
    let mut out = Vec::new();
    let mut accounted = 0;
    for (part, ticks) in &after.by_part {
        let d = ticks.saturating_sub(before.by_part.get(part).copied().unwrap_or(0));
        accounted += d;
        out.push((part.to_string(), pct(d)));
    }
    let busy = after.busy.saturating_sub(before.busy);
    out.push((
        "everything else on the machine".to_string(),
        pct(busy.saturating_sub(accounted)),
    ));
    out.push((
        format!("idle (of {cores} cores = {:.0} %)", 100.0 * cores),
        pct(after
            .total
            .saturating_sub(before.total)
            .saturating_sub(busy)),
    ));
    out
}

/// The share of the whole machine (0 to 1) that went to processes outside the stack and this
/// load generator between two snapshots.
pub fn other_share(before: &Snapshot, after: &Snapshot) -> f64 {
    let total = after.total.saturating_sub(before.total);
    if total == 0 {
        return 0.0;
    }
    let accounted: u64 = after
        .by_part
        .iter()
        .map(|(part, t)| t.saturating_sub(before.by_part.get(part).copied().unwrap_or(0)))
        .sum();
    let busy = after.busy.saturating_sub(before.busy);
    busy.saturating_sub(accounted) as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line_with_spaces_in_its_name() {
        let line = "42 (my proc) S 7 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 1 0 1 1 1";
        let p = parse_stat(line).unwrap();
        assert_eq!((p.ppid, p.comm.as_str(), p.ticks), (7, "my proc", 175));
    }

    #[test]
    fn this_process_is_in_its_own_snapshot() {
        let s = snapshot(None);
        assert!(s.total > 0);
        assert!(s.by_part.contains_key("ofauto-load (this load generator)"));
    }
}
