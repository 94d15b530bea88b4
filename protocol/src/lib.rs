//! The page ↔ engine seam: every message the page (`app/src/state/engine.rs`) and the engine
//! worker (`model-wasm/src/bin/engine-worker.rs`) exchange, as types both sides compile against.
//!
//! On the wire each message is one JSON string (`serde_json` of [`Request`] or [`Event`]); a
//! [`Request::LoadFile`] travels as `[json, File]`, because a `File` cannot be serialised and is
//! cheap to post as it is. Enums carry one spelling each (`"agent-flan"`, `"chatml"`, …): both
//! sides parse the same type, so neither can drift from the other.
//!
//! This crate depends on serde only, so the app's native unit tests and the native `flan-infer`
//! use it as they are.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The Cache API cache models are kept in: the worker stores downloads there and the page
/// lists and deletes its entries.
pub const MODEL_CACHE: &str = "afe-models-v1";
/// Written on every cached model: the byte length the complete download had. An entry whose
/// body is shorter (a tab killed mid-write, a cut connection) is detected and discarded.
pub const COMPLETE_LENGTH_HEADER: &str = "x-afe-complete-length";
/// The script Trunk emits for the `engine-worker` bin (`data-loader-shim` in `app/index.html`),
/// relative to the site's root.
pub const WORKER_SCRIPT: &str = "engine-worker_loader.js";

/// Who said a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message of a conversation sent for generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
}

/// A chat template the engine renders. The wire and the CLI spell it [`Template::as_str`];
/// [`FromStr`] also takes `agent_flan`, the spelling the page once sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Template {
    /// `<|Human|>` / `<|Assistant|>` turns, as Agent-FLAN was trained on.
    AgentFlan,
    /// `<|im_start|>{role}` turns (the demo model's own).
    ChatMl,
}

impl Template {
    pub const ALL: [Template; 2] = [Template::AgentFlan, Template::ChatMl];

    /// The one spelling on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::AgentFlan => "agent-flan",
            Template::ChatMl => "chatml",
        }
    }

    /// The name people know it by.
    pub fn display_name(self) -> &'static str {
        match self {
            Template::AgentFlan => "Agent-FLAN",
            Template::ChatMl => "ChatML",
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A name that is not one of ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.what, self.name)
    }
}

impl std::error::Error for UnknownName {}

impl FromStr for Template {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Template, UnknownName> {
        match s {
            "agent-flan" | "agent_flan" => Ok(Template::AgentFlan),
            "chatml" => Ok(Template::ChatMl),
            _ => Err(UnknownName {
                what: "template",
                name: s.to_string(),
            }),
        }
    }
}

impl From<Template> for String {
    fn from(t: Template) -> String {
        t.as_str().to_string()
    }
}

impl TryFrom<String> for Template {
    type Error = UnknownName;

    fn try_from(s: String) -> Result<Template, UnknownName> {
        s.parse()
    }
}

/// Which prompt format a generation uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum TemplateChoice {
    /// The model's own template (from its GGUF); Agent-FLAN where none is recognised.
    #[default]
    Auto,
    /// This template, whatever the model's own is.
    Named(Template),
    /// No template: the messages' texts, joined, are continued as plain text.
    Raw,
}

impl TemplateChoice {
    /// Every choice, in the order a picker lists them.
    pub const ALL: [TemplateChoice; 4] = [
        TemplateChoice::Auto,
        TemplateChoice::Named(Template::AgentFlan),
        TemplateChoice::Named(Template::ChatMl),
        TemplateChoice::Raw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateChoice::Auto => "auto",
            TemplateChoice::Named(t) => t.as_str(),
            TemplateChoice::Raw => "raw",
        }
    }
}

impl FromStr for TemplateChoice {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<TemplateChoice, UnknownName> {
        match s {
            "auto" => Ok(TemplateChoice::Auto),
            "raw" => Ok(TemplateChoice::Raw),
            _ => s
                .parse()
                .map(TemplateChoice::Named)
                .map_err(|_| UnknownName {
                    what: "template choice",
                    name: s.to_string(),
                }),
        }
    }
}

impl From<TemplateChoice> for String {
    fn from(t: TemplateChoice) -> String {
        t.as_str().to_string()
    }
}

impl TryFrom<String> for TemplateChoice {
    type Error = UnknownName;

    fn try_from(s: String) -> Result<TemplateChoice, UnknownName> {
        s.parse()
    }
}

/// How the next token is chosen. A temperature of 0 or less is greedy (the most likely token),
/// so the same prompt always gives the same reply.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: f32,
    pub top_k: u32,
    pub top_p: f32,
    pub seed: u64,
}

impl Sampling {
    pub fn is_greedy(&self) -> bool {
        self.temperature <= 0.0
    }
}

impl Default for Sampling {
    /// Greedy; the other settings are the ones a sampled run starts from.
    fn default() -> Sampling {
        Sampling {
            temperature: 0.0,
            top_k: 40,
            top_p: 0.9,
            seed: 0,
        }
    }
}

/// One generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub messages: Vec<ChatMessage>,
    pub max_tokens: usize,
    #[serde(default)]
    pub sampling: Sampling,
    #[serde(default)]
    pub template: TemplateChoice,
    /// Generation also ends when the text contains one of these (the ReAct loop stops the
    /// model before it invents a tool response); the text ends before it.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Text the reply starts with: appended to the prompt, and the start of the completion's
    /// text (steers models too small to follow a format unprompted).
    #[serde(default)]
    pub reply_prefix: String,
}

/// What the page asks of the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    /// A GGUF by URL, through the model cache.
    Load {
        url: String,
        #[serde(default)]
        max_ctx: Option<u32>,
    },
    /// A GGUF the user picked; the `File` itself is the second element of the message array.
    LoadFile {
        name: String,
        #[serde(default)]
        max_ctx: Option<u32>,
    },
    Generate(GenerateRequest),
    /// Ends the current generation after the token being produced.
    Stop,
}

/// Which part of loading a progress event counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadPhase {
    /// Network to the model cache.
    Download,
    /// Model cache (or local file) to the GPU.
    Upload,
}

/// How a model was opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheOutcome {
    /// From this browser's cache: no network.
    Hit,
    /// Downloaded and stored for next time.
    Stored,
    /// Not stored (no Cache API, quota full, a local file, …): the reason.
    NotStored(String),
    /// A cached entry was incomplete and was thrown away before downloading again.
    DiscardedPartial { had: u64, expected: u64 },
}

impl fmt::Display for CacheOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheOutcome::Hit => f.write_str("from this browser's cache"),
            CacheOutcome::Stored => f.write_str("downloaded and cached for next time"),
            CacheOutcome::NotStored(why) => write!(f, "not cached: {why}"),
            CacheOutcome::DiscardedPartial { had, expected } => write!(
                f,
                "an incomplete cached copy ({had} of {expected} bytes) was discarded; downloaded and cached again"
            ),
        }
    }
}

/// A loaded model, as the engine reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub adapter: String,
    /// The model's own template, if its GGUF names one the engine knows.
    pub template: Option<Template>,
    pub load_seconds: f64,
    /// Positions the KV cache holds.
    pub context: u32,
    pub vocab: usize,
    pub bytes: u64,
    pub cache: CacheOutcome,
}

impl ModelInfo {
    /// The template a `TemplateChoice::Auto` request gets, as shown to people.
    pub fn template_label(&self) -> String {
        match self.template {
            Some(t) => t.display_name().to_string(),
            None => format!(
                "none recognised ({} used)",
                Template::AgentFlan.display_name()
            ),
        }
    }
}

/// A finished generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The reply, starting with the request's `reply_prefix` and ending before any stop text.
    pub text: String,
    /// Every token produced, including a final stop token.
    pub tokens: Vec<u32>,
    pub prompt_tokens: usize,
    /// Prompt tokens whose keys and values were already cached from the previous request.
    pub reused_tokens: usize,
    /// Positions in the KV cache after this generation.
    pub context_used: u32,
    /// From the request to the first token (feeding the new part of the prompt).
    pub prefill_seconds: f64,
    /// Tokens after the first, per second.
    pub decode_tokens_per_second: f64,
    /// Whether a [`Request::Stop`] ended it.
    pub stopped: bool,
}

/// What the engine reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The worker listens now: requests posted before this would have been lost.
    Started,
    Status {
        message: String,
    },
    Progress {
        phase: LoadPhase,
        bytes: u64,
        total: Option<u64>,
    },
    Ready(ModelInfo),
    /// More of the reply's text (never text that could still turn out to be a stop string).
    Token {
        text: String,
    },
    Done(Completion),
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + fmt::Debug>(value: T) -> String {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value, "{json}");
        json
    }

    fn generate_request() -> GenerateRequest {
        GenerateRequest {
            messages: vec![
                ChatMessage::new(Role::System, "Be brief."),
                ChatMessage::new(Role::User, "Hi"),
                ChatMessage::new(Role::Assistant, "Hello"),
            ],
            max_tokens: 64,
            sampling: Sampling {
                temperature: 0.7,
                top_k: 40,
                top_p: 0.9,
                seed: 7,
            },
            template: TemplateChoice::Named(Template::AgentFlan),
            stop: vec!["\nResponse:".into()],
            reply_prefix: "Thought:".into(),
        }
    }

    #[test]
    fn every_request_round_trips() {
        let requests = [
            Request::Load {
                url: "models/m.gguf".into(),
                max_ctx: Some(1024),
            },
            Request::Load {
                url: "https://host/m.gguf".into(),
                max_ctx: None,
            },
            Request::LoadFile {
                name: "local.gguf".into(),
                max_ctx: None,
            },
            Request::Generate(generate_request()),
            Request::Stop,
        ];
        for r in requests {
            round_trip(r);
        }
        for choice in TemplateChoice::ALL {
            round_trip(Request::Generate(GenerateRequest {
                template: choice,
                ..generate_request()
            }));
        }
    }

    #[test]
    fn every_event_round_trips() {
        let info = ModelInfo {
            name: "m.gguf".into(),
            adapter: "SwiftShader".into(),
            template: Some(Template::ChatMl),
            load_seconds: 1.5,
            context: 2048,
            vocab: 49152,
            bytes: 1 << 27,
            cache: CacheOutcome::Hit,
        };
        let caches = [
            CacheOutcome::Hit,
            CacheOutcome::Stored,
            CacheOutcome::NotStored("quota".into()),
            CacheOutcome::DiscardedPartial {
                had: 10,
                expected: 20,
            },
        ];
        let mut events = vec![
            Event::Started,
            Event::Status {
                message: "Opening…".into(),
            },
            Event::Progress {
                phase: LoadPhase::Download,
                bytes: 5,
                total: Some(10),
            },
            Event::Progress {
                phase: LoadPhase::Upload,
                bytes: 5,
                total: None,
            },
            Event::Ready(ModelInfo {
                template: None,
                ..info.clone()
            }),
            Event::Token { text: "Hel".into() },
            Event::Done(Completion {
                text: "Hello".into(),
                tokens: vec![1, 2, 3],
                prompt_tokens: 12,
                reused_tokens: 4,
                context_used: 14,
                prefill_seconds: 0.25,
                decode_tokens_per_second: 30.0,
                stopped: false,
            }),
            Event::Error {
                message: "load a model first".into(),
            },
        ];
        events.extend(caches.into_iter().map(|cache| {
            Event::Ready(ModelInfo {
                cache,
                ..info.clone()
            })
        }));
        for e in events {
            round_trip(e);
        }
    }

    #[test]
    fn the_wire_spells_each_name_once() {
        assert_eq!(round_trip(Request::Stop), r#"{"cmd":"stop"}"#);
        let json = round_trip(Request::Generate(generate_request()));
        assert!(json.starts_with(r#"{"cmd":"generate","messages":[{"role":"system""#));
        assert!(json.contains(r#""template":"agent-flan""#), "{json}");
        for (choice, name) in
            TemplateChoice::ALL
                .into_iter()
                .zip(["auto", "agent-flan", "chatml", "raw"])
        {
            assert_eq!(round_trip(choice), format!("\"{name}\""));
            assert_eq!(name.parse::<TemplateChoice>(), Ok(choice));
        }
        assert_eq!(
            round_trip(Event::Progress {
                phase: LoadPhase::Upload,
                bytes: 1,
                total: None
            }),
            r#"{"event":"progress","phase":"upload","bytes":1,"total":null}"#
        );
    }

    #[test]
    fn template_names_parse_as_the_cli_and_the_old_page_wrote_them() {
        assert_eq!("agent-flan".parse(), Ok(Template::AgentFlan));
        assert_eq!("agent_flan".parse(), Ok(Template::AgentFlan));
        assert_eq!("chatml".parse(), Ok(Template::ChatMl));
        assert!("raw".parse::<Template>().is_err());
        assert!("ChatML".parse::<Template>().is_err());
        assert!(serde_json::from_str::<TemplateChoice>("\"llama\"").is_err());
        assert_eq!(
            "nope".parse::<Template>().unwrap_err().to_string(),
            "unknown template \"nope\""
        );
    }

    #[test]
    fn a_request_may_leave_out_what_has_a_default() {
        let r: Request =
            serde_json::from_str(r#"{"cmd":"generate","messages":[],"max_tokens":8}"#).unwrap();
        assert_eq!(
            r,
            Request::Generate(GenerateRequest {
                messages: vec![],
                max_tokens: 8,
                sampling: Sampling::default(),
                template: TemplateChoice::Auto,
                stop: vec![],
                reply_prefix: String::new(),
            })
        );
        assert!(Sampling::default().is_greedy());
        let r: Request = serde_json::from_str(r#"{"cmd":"load","url":"u"}"#).unwrap();
        assert_eq!(
            r,
            Request::Load {
                url: "u".into(),
                max_ctx: None
            }
        );
    }

    #[test]
    fn the_page_shows_what_the_worker_reported() {
        let info = ModelInfo {
            name: "m".into(),
            adapter: "a".into(),
            template: None,
            load_seconds: 0.0,
            context: 1,
            vocab: 1,
            bytes: 1,
            cache: CacheOutcome::DiscardedPartial {
                had: 3,
                expected: 9,
            },
        };
        assert_eq!(info.template_label(), "none recognised (Agent-FLAN used)");
        assert_eq!(
            info.cache.to_string(),
            "an incomplete cached copy (3 of 9 bytes) was discarded; downloaded and cached again"
        );
        assert_eq!(
            ModelInfo {
                template: Some(Template::ChatMl),
                ..info
            }
            .template_label(),
            "ChatML"
        );
        assert_eq!(CacheOutcome::Hit.to_string(), "from this browser's cache");
        assert_eq!(
            CacheOutcome::NotStored("x".into()).to_string(),
            "not cached: x"
        );
    }
}
