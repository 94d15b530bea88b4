//! Generation policy, shared by the browser worker and the native CLI: how a request becomes
//! prompt ids (template, reply prefix), when a reply ends (stop ids, stop strings, the token
//! limit, a cancel), what text may be streamed before the reply is over (hold-back), which
//! cached keys and values a request reuses (the longest common prefix with the previous one),
//! and the timings a completion reports.
//!
//! The model sits behind [`LanguageModel`], so all of this is tested natively against a
//! scripted fake (see the tests below) as well as the real [`Model`].

use std::future::Future;

use engine_protocol::{Completion, GenerateRequest, Sampling, TemplateChoice};

use crate::chat::ChatTemplate;
use crate::gguf::{ByteSource, Content};
use crate::gpu::Gpu;
use crate::model::{Model, ModelError, ModelOptions, Sampler, SamplingParams};
use crate::tokenizer::{StreamDecoder, Tokenizer, TokenizerError};

/// What a [`Session`] needs from a model: a KV cache it can rewind, and a generate loop.
pub trait LanguageModel {
    /// Positions in the KV cache.
    fn pos(&self) -> u32;

    /// Keeps only the first `pos` cached positions.
    fn rewind(&mut self, pos: u32);

    /// Forgets every cached position.
    fn reset(&mut self);

    /// Feeds `prompt` after the cached positions, then produces up to `max_new` tokens (greedy,
    /// or drawn by `sampler`), stopping after a token in `stop` or when `on_token` returns
    /// `false`. Every token but the last returned is fed back, so it is cached.
    fn generate(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        sampler: Option<&mut Sampler>,
        on_token: impl FnMut(u32) -> bool,
    ) -> impl Future<Output = Result<Vec<u32>, ModelError>>;
}

impl LanguageModel for Model {
    fn pos(&self) -> u32 {
        Model::pos(self)
    }

    fn rewind(&mut self, pos: u32) {
        Model::rewind(self, pos)
    }

    fn reset(&mut self) {
        Model::reset(self)
    }

    async fn generate(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        sampler: Option<&mut Sampler>,
        on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        match sampler {
            None => Model::generate(self, prompt, max_new, stop, on_token).await,
            Some(sampler) => {
                self.generate_sampled(prompt, max_new, stop, sampler, on_token)
                    .await
            }
        }
    }
}

impl From<Sampling> for SamplingParams {
    fn from(s: Sampling) -> SamplingParams {
        SamplingParams {
            temperature: s.temperature,
            top_k: s.top_k,
            top_p: s.top_p,
            seed: s.seed,
        }
    }
}

/// Why a generation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
}

/// One generation, ready to run: what is fed and when the reply ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The whole prompt (a cached prefix of it is not fed again).
    pub ids: Vec<u32>,
    /// Tokens that end the reply (they are in the completion's tokens, not its text).
    pub stop_ids: Vec<u32>,
    /// Texts that end the reply; the text ends before the first one found.
    pub stop_strings: Vec<String>,
    /// Text the reply starts with (already at the end of the prompt).
    pub reply_prefix: String,
    pub max_tokens: usize,
    pub sampling: Sampling,
}

/// The reply's text as it grows, and how much of it may be shown yet: everything but a tail
/// that could still become a stop string, so a stop string never flashes up and disappears.
#[derive(Debug)]
struct ReplyText {
    text: String,
    /// Bytes of `text` already handed out.
    sent: usize,
    stops: Vec<String>,
    /// Bytes held back: one less than the longest stop string.
    hold: usize,
}

impl ReplyText {
    fn new(prefix: &str, stops: &[String]) -> ReplyText {
        let stops: Vec<String> = stops.iter().filter(|s| !s.is_empty()).cloned().collect();
        let hold = stops
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .saturating_sub(1);
        ReplyText {
            text: prefix.to_string(),
            sent: 0,
            stops,
            hold,
        }
    }

    /// Appends a decoded piece. Returns the text that may be shown now, and whether a stop
    /// string ended the reply (the text is then cut before it).
    fn push(&mut self, piece: &str) -> (Option<String>, bool) {
        self.text.push_str(piece);
        // Only the unreleased tail is searched: a stop string starting before `sent` would
        // have fitted in the text when that part was released (the hold is one byte shorter
        // than the longest stop string), so it would have been found then.
        let from = self.sent;
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.text[from..].find(s.as_str()))
            .min()
            .map(|i| from + i)
        {
            self.text.truncate(at);
            return (self.release(at), true);
        }
        let mut safe = self.text.len().saturating_sub(self.hold);
        while !self.text.is_char_boundary(safe) {
            safe -= 1;
        }
        (self.release(safe), false)
    }

    /// Hands out the text up to `end` not handed out yet.
    fn release(&mut self, end: usize) -> Option<String> {
        (end > self.sent).then(|| {
            let piece = self.text[self.sent..end].to_string();
            self.sent = end;
            piece
        })
    }

    /// The held-back rest (the reply is over) and the whole text.
    fn finish(mut self) -> (Option<String>, String) {
        let rest = self.release(self.text.len());
        (rest, self.text)
    }
}

/// Milliseconds on a monotonic-enough clock: the page's `Date.now()` in the browser (a worker
/// has no `std::time::Instant`), `Instant` natively.
#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1e3
}

/// A loaded model and its tokenizer, with the conversation whose keys and values its cache
/// holds.
pub struct Session<M = Model> {
    model: M,
    tokenizer: Tokenizer,
    /// The model's own template (from its GGUF), if recognised.
    own_template: Option<ChatTemplate>,
    /// Token ids whose keys and values are in the cache now, in order.
    cached: Vec<u32>,
}

impl Session<Model> {
    /// Reads the tokenizer and template from `content` and uploads the weights from `source`.
    pub async fn load<S: ByteSource>(
        gpu: &Gpu,
        content: &Content,
        source: &mut S,
        options: ModelOptions,
    ) -> Result<Session, SessionError> {
        let tokenizer = Tokenizer::from_gguf(content)?;
        let own_template = ChatTemplate::from_gguf(content);
        let model = Model::load_with_content(gpu, content, source, options).await?;
        Ok(Session::new(model, tokenizer, own_template))
    }
}

impl<M: LanguageModel> Session<M> {
    pub fn new(model: M, tokenizer: Tokenizer, own_template: Option<ChatTemplate>) -> Session<M> {
        Session {
            model,
            tokenizer,
            own_template,
            cached: Vec::new(),
        }
    }

    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, for work outside a generation (profiling, a warm-up). The cached prefix is
    /// forgotten, so the next generation feeds its whole prompt.
    pub fn model_mut(&mut self) -> &mut M {
        self.cached.clear();
        &mut self.model
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The model's own template, if its GGUF names one we know.
    pub fn own_template(&self) -> Option<&ChatTemplate> {
        self.own_template.as_ref()
    }

    /// Token ids whose keys and values are cached.
    pub fn cached(&self) -> &[u32] {
        &self.cached
    }

    /// Forgets the conversation.
    pub fn reset(&mut self) {
        self.cached.clear();
        self.model.reset();
    }

    /// The template `choice` renders with: the model's own for `Auto` (Agent-FLAN, which this
    /// explorer is about, where the model has none we know); none for raw text.
    fn template(&self, choice: TemplateChoice) -> Option<ChatTemplate> {
        match choice {
            TemplateChoice::Named(t) => Some(ChatTemplate::named(t)),
            TemplateChoice::Auto => {
                Some(self.own_template.clone().unwrap_or(ChatTemplate::AgentFlan))
            }
            TemplateChoice::Raw => None,
        }
    }

    /// Renders a chat request: the template's prompt (or, for `Raw`, the messages' texts
    /// joined), then the reply prefix; the template's end-of-turn token and text stop it, as do
    /// the end-of-sequence token and the request's stop strings.
    pub fn plan(&self, request: &GenerateRequest) -> Generation {
        let template = self.template(request.template);
        let mut prompt = match &template {
            Some(t) => t.render(&request.messages, true),
            None => request
                .messages
                .iter()
                .map(|m| m.content.as_str())
                .collect(),
        };
        prompt.push_str(&request.reply_prefix);
        let template_stop = template.as_ref().map(ChatTemplate::stop_string);
        Generation {
            ids: self.tokenizer.encode(&prompt, true),
            stop_ids: template_stop
                .and_then(|s| self.tokenizer.token_id(s))
                .into_iter()
                .chain(self.tokenizer.eos)
                .collect(),
            stop_strings: request
                .stop
                .iter()
                .map(String::as_str)
                .chain(template_stop)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            reply_prefix: request.reply_prefix.clone(),
            max_tokens: request.max_tokens,
            sampling: request.sampling,
        }
    }

    /// A plain continuation of `ids`, ended only by the end-of-sequence token or the limit.
    pub fn continuation(&self, ids: Vec<u32>, max_tokens: usize, sampling: Sampling) -> Generation {
        Generation {
            ids,
            stop_ids: self.tokenizer.eos.into_iter().collect(),
            stop_strings: Vec::new(),
            reply_prefix: String::new(),
            max_tokens,
            sampling,
        }
    }

    /// [`Session::plan`], then [`Session::run`].
    pub async fn generate(
        &mut self,
        request: &GenerateRequest,
        on_text: impl FnMut(&str),
        cancelled: impl Fn() -> bool,
    ) -> Result<Completion, SessionError> {
        let generation = self.plan(request);
        self.run(&generation, on_text, cancelled).await
    }

    /// Runs one generation, handing the reply's text to `on_text` as it becomes safe to show
    /// (it starts with the reply prefix); `cancelled` is asked after every token.
    pub async fn run(
        &mut self,
        generation: &Generation,
        mut on_text: impl FnMut(&str),
        cancelled: impl Fn() -> bool,
    ) -> Result<Completion, SessionError> {
        let ids = &generation.ids;
        if ids.is_empty() {
            return Err(SessionError::EmptyPrompt);
        }
        // Reuse the cached keys and values of the longest common prefix (a chat or agent run
        // re-sends the conversation so far; only what is new is fed). At least one token is
        // fed, because its logits choose the first reply token.
        let common = self
            .cached
            .iter()
            .zip(ids)
            .take_while(|(a, b)| a == b)
            .count()
            .min(ids.len() - 1);
        self.model.rewind(common as u32);
        self.cached.truncate(common);

        let Session {
            model,
            tokenizer,
            cached,
            ..
        } = self;
        let stop_ids = &generation.stop_ids;
        let mut reply = ReplyText::new(&generation.reply_prefix, &generation.stop_strings);
        let mut decoder = StreamDecoder::continuation();
        let mut sampler =
            (!generation.sampling.is_greedy()).then(|| Sampler::new(generation.sampling.into()));
        let mut first_token_at = None;
        let mut produced = 0usize;
        let start = now_ms();
        let on_token = |id: u32| {
            first_token_at.get_or_insert_with(now_ms);
            produced += 1;
            if stop_ids.contains(&id) {
                return true;
            }
            let (shown, ended) = reply.push(&decoder.push(tokenizer, id));
            if let Some(text) = shown {
                on_text(&text);
            }
            !ended && !cancelled()
        };
        let result = model
            .generate(
                &ids[common..],
                generation.max_tokens,
                stop_ids,
                sampler.as_mut(),
                on_token,
            )
            .await;
        let end = now_ms();
        let tokens = match result {
            Ok(tokens) => tokens,
            Err(e) => {
                // The cache no longer matches what we think is in it.
                cached.clear();
                model.reset();
                return Err(e.into());
            }
        };
        let (rest, text) = reply.finish();
        if let Some(rest) = rest {
            on_text(&rest);
        }
        cached.extend_from_slice(&ids[common..]);
        // The last generated token was not fed, so it is not in the cache.
        cached.extend_from_slice(&tokens[..tokens.len().saturating_sub(1)]);
        // A generation that produced nothing fed nothing either.
        cached.truncate(model.pos() as usize);
        let first = first_token_at.unwrap_or(end);
        let decode_seconds = (end - first) / 1000.0;
        Ok(Completion {
            text,
            prompt_tokens: ids.len(),
            reused_tokens: common,
            context_used: model.pos(),
            prefill_seconds: (first - start) / 1000.0,
            decode_tokens_per_second: if decode_seconds > 0.0 {
                produced.saturating_sub(1) as f64 / decode_seconds
            } else {
                0.0
            },
            stopped: cancelled(),
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Message, Role};
    use crate::gguf::writer::GgufWriter;
    use crate::gguf::{MemorySource, Value};
    use crate::tokenizer::token_type;
    use engine_protocol::Template;
    use std::cell::Cell;
    use std::collections::VecDeque;

    const EOS: u32 = 258;

    /// GPT-2's byte-to-character map (printable bytes stand for themselves).
    fn byte_char(b: u8) -> char {
        let printable =
            |b: u8| (b'!'..=b'~').contains(&b) || (0xa1..=0xac).contains(&b) || b >= 0xae;
        if printable(b) {
            return b as char;
        }
        let n = (0..=b).filter(|&c| !printable(c)).count() as u32;
        char::from_u32(255 + n).unwrap()
    }

    /// A byte-level BPE vocabulary with no merges: one token per byte (ids 0..=255), then
    /// `<|im_start|>`, `<|im_end|>` and the end-of-sequence token as control tokens.
    fn tokenizer() -> Tokenizer {
        let mut tokens: Vec<Value> = (0..=255u8)
            .map(|b| Value::String(byte_char(b).to_string()))
            .collect();
        let mut types = vec![Value::I32(token_type::NORMAL); 256];
        for special in ["<|im_start|>", "<|im_end|>", "<|endoftext|>"] {
            tokens.push(Value::String(special.into()));
            types.push(Value::I32(token_type::CONTROL));
        }
        let bytes = GgufWriter::new()
            .kv("tokenizer.ggml.model", Value::String("gpt2".into()))
            .kv("tokenizer.ggml.tokens", Value::Array(tokens))
            .kv("tokenizer.ggml.token_type", Value::Array(types))
            .kv("tokenizer.ggml.merges", Value::Array(Vec::new()))
            .kv("tokenizer.ggml.eos_token_id", Value::U32(EOS))
            .to_bytes(&[]);
        let content = pollster::block_on(Content::read(&mut MemorySource(bytes))).unwrap();
        let tokenizer = Tokenizer::from_gguf(&content).unwrap();
        assert_eq!(tokenizer.token_id("<|endoftext|>"), Some(EOS));
        tokenizer
    }

    /// A model that answers each generation with the next scripted reply, and keeps exactly
    /// the tokens fed to it as its "cache".
    #[derive(Default)]
    struct Fake {
        kv: Vec<u32>,
        replies: VecDeque<Vec<u32>>,
        /// The tokens each generation fed.
        fed: Vec<Vec<u32>>,
        fail: bool,
    }

    impl LanguageModel for Fake {
        fn pos(&self) -> u32 {
            self.kv.len() as u32
        }

        fn rewind(&mut self, pos: u32) {
            self.kv.truncate(pos as usize);
        }

        fn reset(&mut self) {
            self.kv.clear();
        }

        async fn generate(
            &mut self,
            prompt: &[u32],
            max_new: usize,
            stop: &[u32],
            _sampler: Option<&mut Sampler>,
            mut on_token: impl FnMut(u32) -> bool,
        ) -> Result<Vec<u32>, ModelError> {
            if self.fail {
                self.kv.push(0);
                return Err(ModelError::UnsupportedArchitecture("fake".into()));
            }
            let mut out = Vec::new();
            if max_new == 0 {
                return Ok(out);
            }
            self.fed.push(prompt.to_vec());
            self.kv.extend_from_slice(prompt);
            let mut reply = self
                .replies
                .pop_front()
                .expect("a scripted reply")
                .into_iter();
            loop {
                let next = reply.next().expect("the script is long enough");
                out.push(next);
                if !on_token(next) || out.len() >= max_new || stop.contains(&next) {
                    return Ok(out);
                }
                self.kv.push(next);
            }
        }
    }

    fn session(own: Option<ChatTemplate>, replies: &[&str]) -> Session<Fake> {
        let tokenizer = tokenizer();
        let replies = replies.iter().map(|r| tokenizer.encode(r, true)).collect();
        Session::new(
            Fake {
                replies,
                ..Fake::default()
            },
            tokenizer,
            own,
        )
    }

    fn chatml() -> Option<ChatTemplate> {
        Some(ChatTemplate::ChatMl {
            default_system: None,
        })
    }

    fn request(messages: Vec<Message>, stop: &[&str]) -> GenerateRequest {
        GenerateRequest {
            messages,
            max_tokens: 64,
            sampling: Sampling::default(),
            template: TemplateChoice::Auto,
            stop: stop.iter().map(|s| s.to_string()).collect(),
            reply_prefix: String::new(),
        }
    }

    /// Runs `request`, returning the completion and every piece of text streamed.
    fn run(s: &mut Session<Fake>, request: &GenerateRequest) -> (Completion, Vec<String>) {
        let mut pieces = Vec::new();
        let completion =
            pollster::block_on(s.generate(request, |t| pieces.push(t.to_string()), || false))
                .unwrap();
        (completion, pieces)
    }

    #[test]
    fn text_that_may_start_a_stop_string_is_held_back() {
        let mut s = session(chatml(), &["Thought: add\nResponse: 3"]);
        let (c, pieces) = run(
            &mut s,
            &request(vec![Message::new(Role::User, "1+2?")], &["\nResponse:"]),
        );
        assert_eq!(c.text, "Thought: add");
        assert_eq!(pieces.concat(), c.text);
        // While "\nResponse:" was still possible, its first bytes were never shown.
        let mut shown = String::new();
        for piece in &pieces {
            shown.push_str(piece);
            assert!(!shown.contains('\n'), "{shown:?}");
        }
        // The stop string ended the reply: nothing after it was generated.
        assert_eq!(c.tokens.len(), "Thought: add\nResponse:".len());
        assert!(!c.stopped);
    }

    #[test]
    fn everything_is_shown_once_the_reply_ends_without_a_stop_string() {
        let mut s = session(chatml(), &["Hello there, friend\nRes<|im_end|>"]);
        let (c, pieces) = run(
            &mut s,
            &request(vec![Message::new(Role::User, "Hi")], &["\nResponse:"]),
        );
        // The held-back tail "\nRes" turned out not to be a stop string.
        assert_eq!(c.text, "Hello there, friend\nRes");
        assert_eq!(pieces.concat(), c.text);
        assert!(pieces.len() > 1);
        assert!(pieces.last().unwrap().ends_with("\nRes"), "{pieces:?}");
        // The template's end-of-turn token ends the reply and is not text.
        assert_eq!(
            c.tokens.last().copied(),
            s.tokenizer().token_id("<|im_end|>")
        );
    }

    #[test]
    fn a_stop_string_split_across_tokens_cuts_the_text_where_it_starts() {
        let mut s = session(None, &["ab\u{0D3F}cd"]);
        let mut r = request(vec![Message::new(Role::User, "x")], &[]);
        r.template = TemplateChoice::Named(Template::AgentFlan);
        let (c, pieces) = run(&mut s, &r);
        // U+0D3F ends an Agent-FLAN turn; it is three bytes, so two are held back, and the
        // boundary found for them may not split a character.
        assert_eq!(c.text, "ab");
        assert_eq!(pieces.concat(), "ab");
        // The first of its three byte tokens ended nothing; the third completed the stop text.
        assert_eq!(c.tokens.len(), 2 + 3);
    }

    #[test]
    fn multibyte_text_is_held_back_on_character_boundaries() {
        let mut s = session(None, &["é€ok<|endoftext|>"]);
        let mut r = request(vec![Message::new(Role::User, "x")], &[]);
        r.template = TemplateChoice::Named(Template::AgentFlan);
        let (c, pieces) = run(&mut s, &r);
        assert_eq!(c.text, "é€ok");
        assert_eq!(pieces.concat(), "é€ok");
        assert_eq!(c.tokens.last(), Some(&EOS));
    }

    #[test]
    fn the_next_request_feeds_only_what_is_new() {
        let mut s = session(chatml(), &["Hello<|im_end|>", "Fine<|im_end|>"]);
        let first = request(vec![Message::new(Role::User, "Hi")], &[]);
        let (c1, _) = run(&mut s, &first);
        assert_eq!(c1.reused_tokens, 0);
        let ids1 = s.plan(&first).ids;
        assert_eq!(s.model().fed[0], ids1);
        // The cache holds the prompt and every reply token but the last (never fed).
        let mut expected = ids1.clone();
        expected.extend_from_slice(&c1.tokens[..c1.tokens.len() - 1]);
        assert_eq!(s.cached(), &expected[..]);
        assert_eq!(s.model().kv, expected);
        assert_eq!(c1.context_used as usize, expected.len());

        let second = request(
            vec![
                Message::new(Role::User, "Hi"),
                Message::new(Role::Assistant, "Hello"),
                Message::new(Role::User, "How are you?"),
            ],
            &[],
        );
        let ids2 = s.plan(&second).ids;
        let (c2, _) = run(&mut s, &second);
        let common = expected
            .iter()
            .zip(&ids2)
            .take_while(|(a, b)| a == b)
            .count();
        assert!(common > ids1.len(), "the reply's tokens are reused too");
        assert_eq!(c2.reused_tokens, common);
        assert_eq!(c2.prompt_tokens, ids2.len());
        assert_eq!(s.model().fed[1], ids2[common..]);
        assert_eq!(c2.text, "Fine");
        assert_eq!(s.cached(), &s.model().kv[..]);
    }

    #[test]
    fn the_same_prompt_again_still_feeds_its_last_token() {
        let mut s = session(chatml(), &["A<|im_end|>", "B<|im_end|>"]);
        let r = request(vec![Message::new(Role::User, "Hi")], &[]);
        let ids = s.plan(&r).ids;
        run(&mut s, &r);
        let (c, _) = run(&mut s, &r);
        assert_eq!(c.reused_tokens, ids.len() - 1);
        assert_eq!(s.model().fed[1], ids[ids.len() - 1..]);
        assert_eq!(c.text, "B");
    }

    #[test]
    fn a_generation_of_no_tokens_leaves_the_cache_as_the_model_has_it() {
        let mut s = session(chatml(), &["A<|im_end|>"]);
        let mut r = request(vec![Message::new(Role::User, "Hi")], &[]);
        r.max_tokens = 0;
        let (c, _) = run(&mut s, &r);
        assert!(c.tokens.is_empty());
        assert_eq!(s.cached(), &s.model().kv[..]);
        r.max_tokens = 8;
        let (c, _) = run(&mut s, &r);
        assert_eq!(c.reused_tokens, 0);
        assert_eq!(c.text, "A");
    }

    #[test]
    fn a_failed_generation_forgets_the_cache() {
        let mut s = session(chatml(), &["A<|im_end|>"]);
        let r = request(vec![Message::new(Role::User, "Hi")], &[]);
        run(&mut s, &r);
        s.model_mut().fail = true;
        let err = pollster::block_on(s.generate(&r, |_| {}, || false)).unwrap_err();
        assert!(matches!(err, SessionError::Model(_)), "{err}");
        assert!(s.cached().is_empty());
        assert_eq!(s.model().pos(), 0);
    }

    #[test]
    fn the_reply_prefix_ends_the_prompt_and_starts_the_text() {
        let mut s = session(chatml(), &[" 42<|im_end|>"]);
        let mut r = request(vec![Message::new(Role::User, "?")], &[]);
        r.reply_prefix = "Answer:".into();
        let generation = s.plan(&r);
        let prompt = s.tokenizer().decode(&generation.ids, true);
        assert!(
            prompt.ends_with("<|im_start|>assistant\nAnswer:"),
            "{prompt:?}"
        );
        let (c, pieces) = run(&mut s, &r);
        assert_eq!(c.text, "Answer: 42");
        assert_eq!(pieces.concat(), "Answer: 42");
    }

    #[test]
    fn templates_follow_the_request_then_the_model() {
        let s = session(
            Some(ChatTemplate::ChatMl {
                default_system: Some("Be nice".into()),
            }),
            &[],
        );
        let messages = vec![Message::new(Role::User, "Hi")];
        let decode = |r: &GenerateRequest| s.tokenizer().decode(&s.plan(r).ids, true);
        let mut r = request(messages.clone(), &[]);
        // Auto: the model's own, with its default system turn.
        assert_eq!(
            decode(&r),
            "<|im_start|>system\nBe nice<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(s.plan(&r).stop_strings, ["<|im_end|>"]);
        assert_eq!(
            s.plan(&r).stop_ids,
            [s.tokenizer().token_id("<|im_end|>").unwrap(), EOS]
        );
        // Named ChatML: no default system turn.
        r.template = TemplateChoice::Named(Template::ChatMl);
        assert!(decode(&r).starts_with("<|im_start|>user\nHi"));
        r.template = TemplateChoice::Named(Template::AgentFlan);
        assert_eq!(decode(&r), ChatTemplate::AgentFlan.render(&messages, true));
        assert_eq!(s.plan(&r).stop_strings, ["\u{0D3F}"]);
        // Raw: the texts alone, ended by end-of-sequence and the request's own stop strings.
        let mut raw = request(
            vec![
                Message::new(Role::System, "a"),
                Message::new(Role::User, "b"),
            ],
            &["\n"],
        );
        raw.template = TemplateChoice::Raw;
        assert_eq!(decode(&raw), "ab");
        assert_eq!(s.plan(&raw).stop_ids, [EOS]);
        assert_eq!(s.plan(&raw).stop_strings, ["\n"]);
        // No template of its own: Agent-FLAN.
        let plain = session(None, &[]);
        assert_eq!(
            plain
                .tokenizer()
                .decode(&plain.plan(&request(messages.clone(), &[])).ids, true),
            ChatTemplate::AgentFlan.render(&messages, true)
        );
    }

    #[test]
    fn cancelling_ends_the_reply_and_is_reported() {
        let mut s = session(chatml(), &["abcdef<|im_end|>"]);
        let r = request(vec![Message::new(Role::User, "Hi")], &[]);
        let calls = Cell::new(0);
        let c = pollster::block_on(s.generate(
            &r,
            |_| {},
            || {
                calls.set(calls.get() + 1);
                calls.get() >= 3
            },
        ))
        .unwrap();
        assert!(c.stopped);
        assert_eq!(c.text, "abc");
        assert_eq!(c.tokens.len(), 3);
    }

    #[test]
    fn an_empty_prompt_is_refused() {
        let mut s = session(None, &[]);
        let g = s.continuation(Vec::new(), 8, Sampling::default());
        let err = pollster::block_on(s.run(&g, |_| {}, || false)).unwrap_err();
        assert_eq!(err.to_string(), "the prompt is empty");
    }

    #[test]
    fn a_continuation_stops_only_at_end_of_sequence_or_the_limit() {
        let mut s = session(None, &["x<|im_end|>y<|endoftext|>", "abc"]);
        let ids = s.tokenizer().encode("Once", false);
        let g = s.continuation(ids.clone(), 16, Sampling::default());
        assert_eq!(g.stop_ids, [EOS]);
        let c = pollster::block_on(s.run(&g, |_| {}, || false)).unwrap();
        // A control token is no text, and only end-of-sequence ends a plain continuation.
        assert_eq!(c.text, "xy");
        let g = s.continuation(ids, 2, Sampling::default());
        let c = pollster::block_on(s.run(&g, |_| {}, || false)).unwrap();
        assert_eq!(c.text, "ab");
    }
}
