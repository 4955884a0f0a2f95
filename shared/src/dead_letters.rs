//! The dead-letter queue of a function that consumes a stream or a schedule: where work that can
//! never succeed is parked for an operator, so that it stops blocking the work behind it.

use aws_config::SdkConfig;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct DeadLetterQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// SQS takes messages of up to 256 KiB; a letter's free text is cut well below that, so that a
/// letter about an oversized record can always be sent.
const MAX_TEXT_CHARS: usize = 2048;

impl DeadLetterQueue {
    /// `url` is `DEAD_LETTER_QUEUE_URL` (`Config::require_dead_letter_queue_url`), which
    /// Terraform (and the local stack) set to the function's own queue: a consumer that could not
    /// park a poison record would have to block on it.
    pub fn new(sdk: &SdkConfig, url: &str) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url: url.to_owned(),
        }
    }

    pub async fn send(&self, letter: &impl Serialize) -> Result<(), String> {
        let body = serde_json::to_string(letter).map_err(|e| e.to_string())?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))
    }
}

/// Cuts attacker-sized text (a reason quoting a huge attribute, say) to what a letter may carry.
pub fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_says_how_long_it_was() {
        let long = "é".repeat(10_000);
        let cut = bounded(&long);
        assert!(cut.chars().count() < MAX_TEXT_CHARS + 40);
        assert!(
            cut.ends_with("(20000 bytes in all)"),
            "{}",
            &cut[cut.len() - 40..]
        );
        assert_eq!(bounded("short"), "short");
    }
}
