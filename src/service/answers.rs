//! Large graph answers, kept as the JSON sent, per graph version.
//!
//! Every read under `/api/` is computed from one graph version (the `ETag` says which),
//! so an answer is still the answer while that version is current. Most 2-hop answers
//! cost tens of microseconds; the few that reach hundreds of nodes (a hub's
//! neighbourhood, cut at the node cap: ~170 KB of JSON at 1M) cost 1–2 ms each, and
//! they are the ones a dashboard asks again. Those are kept, bounded by bytes, keyed by
//! the version they read: a write makes a new version, after which the kept answers
//! are never used again and age out.

use actix_web::web::Bytes;
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// Bytes of answers kept unless configured otherwise.
pub const DEFAULT_ANSWER_CACHE_BYTES: u64 = 16 << 20;

/// Bookkeeping bytes per kept answer besides its key and body.
const ENTRY_OVERHEAD: u64 = 128;

/// Typical bytes of a kept answer, to size the table.
const TYPICAL_ANSWER: u64 = 64 << 10;

/// A question: the graph version it reads and what it asks (route and parameters).
type Question = (u64, String);

#[derive(Clone)]
struct ByBytes;

impl Weighter<Question, Bytes> for ByBytes {
    fn weight(&self, question: &Question, body: &Bytes) -> u64 {
        (question.1.len() + body.len()) as u64 + ENTRY_OVERHEAD
    }
}

/// Rendered answers by graph version and question.
pub struct RenderedAnswers {
    /// `None` when the budget is 0.
    cache: Option<Cache<Question, Bytes, ByBytes>>,
}

impl RenderedAnswers {
    /// Keeps up to `bytes` of answers (0: none).
    pub fn new(bytes: u64) -> Self {
        let cache = (bytes > 0).then(|| {
            Cache::with_weighter((bytes / TYPICAL_ANSWER).max(1) as usize, bytes, ByBytes)
        });
        Self { cache }
    }

    /// The answer to `question` at graph `version`, if one was kept.
    pub fn get(&self, version: u64, question: &str) -> Option<Bytes> {
        self.cache.as_ref()?.get(&(version, question.to_string()))
    }

    /// Keeps the answer to `question` at graph `version`.
    pub fn insert(&self, version: u64, question: String, body: Bytes) {
        if let Some(cache) = &self.cache {
            cache.insert((version, question), body);
        }
    }

    /// Answers kept and their bytes.
    pub fn usage(&self) -> (usize, u64) {
        self.cache
            .as_ref()
            .map_or((0, 0), |cache| (cache.len(), cache.weight()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_for_its_version_and_question_only() {
        let answers = RenderedAnswers::new(1 << 20);
        answers.insert(7, "ego|a".into(), Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(answers.get(7, "ego|a").as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(answers.get(8, "ego|a"), None, "a newer version");
        assert_eq!(answers.get(7, "ego|b"), None, "another question");
        assert_eq!(answers.usage().0, 1);
    }

    #[test]
    fn a_zero_budget_keeps_nothing_and_the_budget_bounds_the_bytes() {
        let none = RenderedAnswers::new(0);
        none.insert(1, "q".into(), Bytes::from_static(b"{}"));
        assert_eq!((none.get(1, "q"), none.usage()), (None, (0, 0)));
        let small = RenderedAnswers::new(64 << 10);
        for i in 0..100 {
            small.insert(1, format!("q{i}"), Bytes::from(vec![b' '; 4_000]));
        }
        let (count, bytes) = small.usage();
        assert!(bytes <= 64 << 10, "{bytes} bytes kept");
        assert!((1..100).contains(&count), "{count} answers kept");
    }
}
