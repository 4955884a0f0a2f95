//! The DynamoDB stream trigger, polling the way Lambda's event source mapping does: every shard from
//! TRIM_HORIZON, children after their parent, one synchronous invocation per batch, and a failed
//! batch redelivered from the same record until it succeeds.

use crate::pool::Pools;
use crate::stream_event::{batch_event, batch_result, BatchResult};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;
use axum::body::Bytes;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often shards are rediscovered when none closed (a closed shard triggers it at once).
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One `dynamodb_stream` function, as an event source mapping on the table's stream.
pub struct Mapping {
    pub function: String,
    pub batch_size: usize,
}

struct Shard {
    parent: Option<String>,
    iterator: Option<String>,
    /// The last record the function has finished with.
    checkpoint: Option<String>,
    /// Fetched, not yet finished with.
    pending: VecDeque<Record>,
    /// GetRecords said there will be nothing more.
    closed: bool,
    failures: u32,
    retry_at: Option<Instant>,
}

impl Shard {
    fn new(parent: Option<String>) -> Self {
        Self {
            parent,
            iterator: None,
            checkpoint: None,
            pending: VecDeque::new(),
            closed: false,
            failures: 0,
            retry_at: None,
        }
    }

    fn done(&self) -> bool {
        self.closed && self.pending.is_empty()
    }

    /// Forgets the iterator; what was fetched past the checkpoint is fetched again.
    fn reset(&mut self) {
        self.iterator = None;
        self.pending.clear();
    }
}

pub struct Poller {
    pub client: Client,
    pub table: String,
    pub mapping: Mapping,
    pub pools: Arc<Pools>,
    pub interval: Duration,
}

impl Poller {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let stopping = crate::worker::stopping(&mut shutdown);
        tokio::pin!(stopping);
        let arn = loop {
            match self.stream_arn().await {
                Ok(Some(arn)) => break arn,
                Ok(None) => tracing::debug!(table = %self.table, "no stream yet"),
                Err(e) => tracing::warn!(table = %self.table, "ListStreams failed: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = &mut stopping => return,
            }
        };
        tracing::info!(function = %self.mapping.function, stream = %arn, "stream mapping enabled");
        let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
        let mut discovered_at: Option<Instant> = None;
        loop {
            if discovered_at.is_none_or(|t| t.elapsed() >= DISCOVERY_INTERVAL) {
                match self.discover(&arn, &mut shards).await {
                    Ok(()) => discovered_at = Some(Instant::now()),
                    Err(e) => tracing::warn!(stream = %arn, "DescribeStream failed: {e}"),
                }
            }
            let ready: Vec<String> = shards
                .iter()
                .filter(|(_, s)| !s.done())
                .filter(|(_, s)| {
                    s.parent
                        .as_ref()
                        .and_then(|p| shards.get(p))
                        .is_none_or(Shard::done)
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in ready {
                let Some(shard) = shards.get_mut(&id) else {
                    continue;
                };
                tokio::select! {
                    _ = self.poll_shard(&arn, &id, shard) => {}
                    _ = &mut stopping => return,
                }
                if shard.done() {
                    tracing::debug!(shard = %id, "shard finished");
                    discovered_at = None;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = &mut stopping => return,
            }
        }
    }

    async fn stream_arn(&self) -> Result<Option<String>, String> {
        let out = self
            .client
            .list_streams()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| format!("{}", aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)))?;
        Ok(out
            .streams
            .unwrap_or_default()
            .into_iter()
            .find_map(|s| s.stream_arn))
    }

    async fn discover(
        &self,
        arn: &str,
        shards: &mut BTreeMap<String, Shard>,
    ) -> Result<(), String> {
        let mut start: Option<String> = None;
        loop {
            let out = self
                .client
                .describe_stream()
                .stream_arn(arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| {
                    format!("{}", aws_sdk_dynamodbstreams::error::DisplayErrorContext(e))
                })?;
            let Some(desc) = out.stream_description else {
                return Ok(());
            };
            for s in desc.shards.unwrap_or_default() {
                if let Some(id) = s.shard_id {
                    shards
                        .entry(id)
                        .or_insert_with(|| Shard::new(s.parent_shard_id));
                }
            }
            match desc.last_evaluated_shard_id {
                Some(next) => start = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn poll_shard(&self, arn: &str, id: &str, shard: &mut Shard) {
        if shard.retry_at.is_some_and(|t| Instant::now() < t) {
            return;
        }
        if shard.pending.is_empty() && !shard.closed {
            self.fetch(arn, id, shard).await;
        }
        while !shard.pending.is_empty() {
            if !self.deliver(arn, id, shard).await {
                return;
            }
        }
    }

    async fn fetch(&self, arn: &str, id: &str, shard: &mut Shard) {
        if shard.iterator.is_none() {
            let req = self
                .client
                .get_shard_iterator()
                .stream_arn(arn)
                .shard_id(id);
            let req = match &shard.checkpoint {
                Some(seq) => req
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(seq),
                None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            match req.send().await {
                Ok(out) => shard.iterator = out.shard_iterator,
                Err(e) => {
                    tracing::warn!(shard = %id, "GetShardIterator failed: {}", aws_sdk_dynamodbstreams::error::DisplayErrorContext(e));
                    return;
                }
            }
            if shard.iterator.is_none() {
                shard.closed = true;
                return;
            }
        }
        let Some(iterator) = shard.iterator.clone() else {
            return;
        };
        match self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
        {
            Ok(out) => {
                shard.pending.extend(out.records.unwrap_or_default());
                shard.iterator = out.next_shard_iterator;
                if shard.iterator.is_none() {
                    shard.closed = true;
                }
            }
            Err(e) => {
                tracing::debug!(shard = %id, "GetRecords failed, re-acquiring the iterator: {}", aws_sdk_dynamodbstreams::error::DisplayErrorContext(e));
                shard.reset();
            }
        }
    }

    /// Invokes the function with the next batch; false when the shard must wait before retrying.
    async fn deliver(&self, arn: &str, id: &str, shard: &mut Shard) -> bool {
        let n = shard.pending.len().min(self.mapping.batch_size.max(1));
        let batch: Vec<Record> = shard.pending.iter().take(n).cloned().collect();
        let seqs: Vec<&str> = batch
            .iter()
            .map(|r| {
                r.dynamodb
                    .as_ref()
                    .and_then(|d| d.sequence_number.as_deref())
                    .unwrap_or_default()
            })
            .collect();
        let payload = Bytes::from(batch_event(&batch, arn).to_string());
        let done_upto = match self.pools.invoke(&self.mapping.function, payload).await {
            Ok(resp) => match batch_result(&resp, &seqs) {
                BatchResult::Complete => n,
                BatchResult::RetryFrom(i) => {
                    tracing::warn!(function = %self.mapping.function, shard = %id, "batch item failure at {}; redelivering from it", seqs[i]);
                    i
                }
            },
            Err(e) => {
                tracing::warn!(function = %self.mapping.function, shard = %id, records = n, "stream batch failed, will redeliver: {e}");
                0
            }
        };
        if done_upto > 0 {
            shard.checkpoint = Some(seqs[done_upto - 1].to_string());
            shard.pending.drain(..done_upto);
        }
        if done_upto == n {
            shard.failures = 0;
            shard.retry_at = None;
            return true;
        }
        let backoff = Duration::from_millis(100)
            .saturating_mul(1 << shard.failures.min(10))
            .min(MAX_BACKOFF);
        shard.failures += 1;
        shard.retry_at = Some(Instant::now() + backoff);
        false
    }
}
