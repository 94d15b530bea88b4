//! Classification of samples and assistant turns, each result with a `why` text for the UI.
//!
//! All rules look only at the row itself (plus the name of the file it came from), so they work
//! the same on published Agent-FLAN files, on AgentInstruct / ToolBench rows and on rows this
//! crate derived.
//!
//! # Turn parts
//! An assistant turn is split into *parts* at line-start markers (case-insensitive):
//!
//! | marker | part | capability |
//! |---|---|---|
//! | `Thought:`, `THOUGHT:`, `Think:` | thought | reasoning |
//! | text before an action, without a marker (e.g. DB rows explain, then act) | thought | reasoning |
//! | `Action:`, `ACTION:`, `Act:` with a tool name | action | retrieval (choosing the tool) |
//! | arguments: `Action Input:`, `Value:`, `Answer:` (Mind2Web), `name(args)` / `name[args]` / `verb args` after the action name, a code block after the action, an OpenAI `function_call.arguments` | action input | understanding (filling parameters from the tool docs) |
//! | `Final Answer:`, `Act: answer(...)`, `Act: finish`, `Action: Answer`, a `Finish` function call | final answer | instruction following (required output format) |
//! | a turn that is only a JSON object | action input | understanding |
//! | a turn with no marker at all (acknowledgement, plain reply) | plain | instruction following |
//!
//! A turn's **primary capability** is the capability of its first part in ReAct order
//! (thought → action → action input → final answer / plain): a ReAct turn that thinks and then acts
//! is a reasoning turn whose parts also include retrieval and understanding. The capability facet of
//! a sample uses *all* parts ("has ≥ 1 assistant turn with a retrieval part").
//!
//! # Task (source family)
//! First match wins: (1) the id (or `derived_from.source_id`) prefix `os_`, `db_`, `alfworld_`,
//! `webshop_`, `kg_`, `mind2web_`, `toolbench`; (2) the source file name containing `toolbench`
//! (or one of the task names); (3) cues in the first system/user turn (the AgentInstruct task
//! prompts, ToolBench's AutoGPT prompt, a tool list); (4) otherwise general chat.
//!
//! # Format
//! * **ReAct**: at least one assistant turn combines reasoning, tool choice and/or arguments
//!   (e.g. `Thought:` + `Action:`), or uses ReAct markers (`Action: Answer`, `Final Answer:`)
//!   without being asked a follow-up question.
//! * **Decomposed (T-FLAN)**: no assistant turn mixes those parts, but separate assistant turns
//!   carry at least two of thought / tool choice / arguments — the paper's "aligning agent tuning
//!   to chat" decomposition (arXiv 2403.12881 §3.1).
//!   Also T-FLAN: every formatted turn (e.g. `Final Answer:`) answers a follow-up question.
//! * **Plain chat**: no thought, action or arguments anywhere.
//!
//! # Negative type (paper §3.3)
//! Only plain-chat samples with no tool call can be negative:
//! * **only irrelevant tools offered**: the system prompt lists tools (JSON `"name": "..."`
//!   entries, or a "following tools" list) and no assistant turn calls one;
//! * **no tools offered**: there is a system prompt, it lists no tools, and the assistant answers
//!   without a tool call (the shape of `toolbench_negative`: system, user, assistant);
//! * otherwise none.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::codes::{Capability, Code, Format, Negative, Task};
use crate::model::{Role, Sample, Turn};

/// A classification value with its explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tagged<T> {
    pub value: T,
    pub why: String,
}

/// Kind of a part of an assistant turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    Thought,
    Action,
    ActionInput,
    FinalAnswer,
    Plain,
}

impl PartKind {
    /// Capability exercised by this kind of part.
    pub fn capability(self) -> Capability {
        match self {
            PartKind::Thought => Capability::Reasoning,
            PartKind::Action => Capability::Retrieval,
            PartKind::ActionInput => Capability::Understanding,
            PartKind::FinalAnswer | PartKind::Plain => Capability::InstructionFollowing,
        }
    }
}

/// One part of an assistant turn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnPart {
    pub kind: PartKind,
    pub capability: Capability,
    /// Characters of the turn attributed to this part (for token estimates).
    pub chars: usize,
    /// What identifies the part in the text: the marker, the tool name, ...
    pub detail: String,
    /// Byte range of the part's text in the turn's content (marker stripped); empty for parts
    /// that come from an OpenAI `function_call`. See [`part_text`].
    pub text: Range<usize>,
}

/// Classification of one assistant turn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnClass {
    /// Index of the turn in the conversation.
    pub turn_index: usize,
    pub capability: Capability,
    pub parts: Vec<TurnPart>,
    pub loss_masked: bool,
    pub why: String,
}

/// Full classification of a sample, for the sample view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleClass {
    pub task: Tagged<Task>,
    pub format: Tagged<Format>,
    pub negative: Tagged<Negative>,
    /// One entry per assistant turn.
    pub turns: Vec<TurnClass>,
    pub loss_masked_turns: usize,
}

/// Compact classification used by the index (no strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SampleCodes {
    pub task: u8,
    pub format: u8,
    pub negative: u8,
    /// Bit per [`Capability`] present in any assistant-turn part.
    pub capabilities: u8,
    /// Assistant turns per primary capability.
    pub primary_turns: [u32; 4],
    /// Assistant characters per capability (from parts).
    pub capability_chars: [u32; 4],
    pub loss_masked_turns: u32,
}

/// Classifies a sample with explanations. `source_name` is the file it came from (may be empty).
pub fn classify(sample: &Sample, source_name: &str) -> SampleClass {
    classify_with(sample, source_name, true)
}

/// `explain = false` skips the per-turn `why` texts (the index does not show them).
fn classify_with(sample: &Sample, source_name: &str, explain: bool) -> SampleClass {
    let turns: Vec<TurnClass> = sample
        .conversation
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == Role::Assistant)
        .map(|(i, t)| classify_turn(sample, i, t, explain))
        .collect();
    let format = format_of(sample, &turns);
    SampleClass {
        task: task_of(sample, source_name),
        negative: negative_of(sample, &turns, format.value),
        format,
        turns,
        loss_masked_turns: sample
            .conversation
            .iter()
            .filter(|t| t.is_loss_masked())
            .count(),
    }
}

/// Compact classification for the index (skips the per-turn explanations).
pub fn classify_codes(sample: &Sample, source_name: &str) -> SampleCodes {
    let class = classify_with(sample, source_name, false);
    let mut codes = SampleCodes {
        task: class.task.value as u8,
        format: class.format.value as u8,
        negative: class.negative.value as u8,
        loss_masked_turns: class.loss_masked_turns as u32,
        ..SampleCodes::default()
    };
    for t in &class.turns {
        codes.primary_turns[t.capability as usize] += 1;
        for p in &t.parts {
            codes.capabilities |= p.capability.bit();
            codes.capability_chars[p.capability as usize] += p.chars as u32;
        }
    }
    codes
}

// ---------------------------------------------------------------------------------------------
// Turn parts

fn strip_marker<'a>(line: &'a str, markers: &[&str]) -> Option<&'a str> {
    let t = line.trim_start();
    markers.iter().find_map(|m| {
        let head = t.get(..m.len())?;
        head.eq_ignore_ascii_case(m).then(|| t[m.len()..].trim())
    })
}

const THOUGHT: &[&str] = &["thought:", "think:"];
const FINAL: &[&str] = &["final answer:"];
const INPUT: &[&str] = &["action input:", "value:", "answer:"];
const ACTION: &[&str] = &["action:", "act:"];

/// Splits an assistant turn into parts (see module docs).
pub fn turn_parts(turn: &Turn) -> Vec<TurnPart> {
    let content = turn.content.as_str();
    // Byte range of a sub-slice of `content`.
    let range_of = |sub: &str| {
        let start = sub.as_ptr() as usize - content.as_ptr() as usize;
        start..start + sub.len()
    };
    let mut parts: Vec<TurnPart> = Vec::new();
    let mut in_code = false;
    let mut offset = 0;
    for raw in content.split('\n') {
        let line_start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let line_end = line_start + line.len();
        let len = line.chars().count() + 1;
        if line.trim_start().starts_with("```") {
            // A code block right after an action is that action's argument (bash, SQL).
            if !in_code && parts.last().is_some_and(|p| p.kind == PartKind::Action) {
                let next = offset.min(content.len());
                parts.push(part(
                    PartKind::ActionInput,
                    0,
                    "code block".into(),
                    next..next,
                ));
            }
            in_code = !in_code;
            if let Some(last) = parts.last_mut() {
                last.chars += len;
            }
            continue;
        }
        if !in_code {
            if let Some(rest) = strip_marker(line, FINAL) {
                let detail = format!("Final Answer: {}", excerpt(rest));
                parts.push(part(PartKind::FinalAnswer, len, detail, range_of(rest)));
                continue;
            }
            if let Some(rest) = strip_marker(line, INPUT) {
                parts.push(part(
                    PartKind::ActionInput,
                    len,
                    excerpt(rest),
                    range_of(rest),
                ));
                continue;
            }
            if let Some(rest) = strip_marker(line, THOUGHT) {
                parts.push(part(
                    PartKind::Thought,
                    len,
                    "Thought:".into(),
                    range_of(rest),
                ));
                continue;
            }
            if let Some(rest) = strip_marker(line, ACTION) {
                push_action(&mut parts, rest, len, &range_of);
                continue;
            }
        }
        // WebShop writes "Action:" alone and the action on the next line.
        if !in_code
            && !line.trim().is_empty()
            && parts
                .last()
                .is_some_and(|p| p.kind == PartKind::Action && p.detail.is_empty())
        {
            let bare = parts.pop().expect("checked above");
            push_action(&mut parts, line.trim(), len + bare.chars, &range_of);
            continue;
        }
        match parts.last_mut() {
            Some(last) => {
                last.chars += len;
                if !line.trim().is_empty() {
                    last.text.end = line_end;
                }
            }
            None if line.trim().is_empty() => {}
            None => parts.push(part(
                PartKind::Plain,
                len,
                String::new(),
                line_start..line_end,
            )),
        }
    }
    if let Some((name, args)) = function_call(turn) {
        let none = content.len()..content.len();
        if name == "Finish" {
            parts.push(part(
                PartKind::FinalAnswer,
                args.len(),
                "Finish function call".into(),
                none,
            ));
        } else {
            parts.push(part(
                PartKind::Action,
                name.len(),
                format!("function_call `{name}`"),
                none.clone(),
            ));
            parts.push(part(
                PartKind::ActionInput,
                args.len(),
                excerpt(&args),
                none,
            ));
        }
    }
    // Free text before an action is the turn's reasoning (DB rows explain, then act; ToolBench
    // puts the thought in `content` next to the function call).
    if parts.len() > 1
        && parts[0].kind == PartKind::Plain
        && parts[1..].iter().any(|p| p.kind == PartKind::Action)
    {
        parts[0].kind = PartKind::Thought;
        parts[0].capability = Capability::Reasoning;
        parts[0].detail = "free text before the action".into();
    }
    // A turn that is just a JSON object answers "which arguments?".
    if let [only] = parts.as_mut_slice() {
        if only.kind == PartKind::Plain && looks_like_json_object(&turn.content) {
            only.kind = PartKind::ActionInput;
            only.capability = Capability::Understanding;
            only.detail = "JSON object".into();
        }
    }
    parts
}

fn part(kind: PartKind, chars: usize, detail: String, text: Range<usize>) -> TurnPart {
    TurnPart {
        kind,
        capability: kind.capability(),
        chars,
        detail,
        text,
    }
}

/// The text of a part (marker stripped, trimmed); empty for function-call parts.
pub fn part_text<'a>(turn: &'a Turn, part: &TurnPart) -> &'a str {
    turn.content.get(part.text.clone()).unwrap_or("").trim()
}

fn push_action(
    parts: &mut Vec<TurnPart>,
    rest: &str,
    len: usize,
    range_of: &dyn Fn(&str) -> Range<usize>,
) {
    let (name, args) = split_action(rest);
    if name.is_empty() {
        // "Action:" alone on its line (WebShop puts the action on the next line).
        parts.push(part(PartKind::Action, len, String::new(), range_of(rest)));
        return;
    }
    let lname = name.to_ascii_lowercase();
    if lname == "answer" || lname == "finish" {
        let text = if args.is_empty() {
            range_of(rest)
        } else {
            range_of(args)
        };
        parts.push(part(
            PartKind::FinalAnswer,
            len,
            format!("Act: {}", excerpt(rest)),
            text,
        ));
        return;
    }
    let name_chars = len - args.chars().count().min(len);
    parts.push(part(
        PartKind::Action,
        name_chars,
        format!("Action: {name}"),
        range_of(name),
    ));
    if !args.is_empty() {
        parts.push(part(
            PartKind::ActionInput,
            args.chars().count(),
            excerpt(args),
            range_of(args),
        ));
    }
}

/// `get_relations(x)` → (`get_relations`, `x`); `search[q]` → (`search`, `q`);
/// `go to shelf 1` → (`go`, `to shelf 1`); `bash` → (`bash`, ``).
fn split_action(text: &str) -> (&str, &str) {
    let text = text.trim();
    if let Some(open) = text.find(['(', '[']) {
        let name = text[..open].trim();
        if !name.is_empty() && !name.contains(' ') {
            let inner = text[open + 1..].trim_end();
            let inner = inner
                .strip_suffix(')')
                .or_else(|| inner.strip_suffix(']'))
                .unwrap_or(inner);
            return (name, inner.trim());
        }
    }
    match text.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (text, &text[text.len()..]),
    }
}

fn function_call(turn: &Turn) -> Option<(String, String)> {
    let call = turn.extra.as_ref()?.get("function_call")?;
    let name = call.get("name")?.as_str()?.to_string();
    let args = match call.get("arguments") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    Some((name, args))
}

fn looks_like_json_object(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{')
        && t.ends_with('}')
        && serde_json::from_str::<serde_json::Value>(t).is_ok_and(|v| v.is_object())
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn classify_turn(sample: &Sample, index: usize, turn: &Turn, explain: bool) -> TurnClass {
    let parts = turn_parts(turn);
    let capability = parts
        .first()
        .map(|p| p.capability)
        .unwrap_or(Capability::InstructionFollowing);
    let why = if explain {
        turn_why(sample, index, turn, &parts, capability)
    } else {
        String::new()
    };
    TurnClass {
        turn_index: index,
        capability,
        parts,
        loss_masked: turn.is_loss_masked(),
        why,
    }
}

fn part_phrase(p: &TurnPart) -> String {
    match p.kind {
        PartKind::Thought => format!("reasoning ({})", p.detail),
        PartKind::Action if p.detail.is_empty() => "retrieval (`Action:`)".into(),
        PartKind::Action => format!("retrieval (`{}`)", p.detail),
        PartKind::ActionInput => format!("understanding (arguments `{}`)", p.detail),
        PartKind::FinalAnswer => format!("instruction following (`{}`)", p.detail),
        PartKind::Plain => "instruction following (plain reply)".into(),
    }
}

fn turn_why(
    sample: &Sample,
    index: usize,
    turn: &Turn,
    parts: &[TurnPart],
    capability: Capability,
) -> String {
    let mut why = match parts {
        [] => "tagged instruction following because the turn is empty (nothing but the required format)".to_string(),
        [p] => match p.kind {
            PartKind::Thought => format!("tagged reasoning because the turn only states a thought ({})", p.detail),
            PartKind::Action => format!("tagged retrieval because the turn answers which tool to use: `{}`", p.detail),
            PartKind::ActionInput => format!("tagged understanding because the turn only gives the tool's arguments: `{}`", p.detail),
            PartKind::FinalAnswer => format!("tagged instruction following because the turn gives the final answer in the required format: `{}`", p.detail),
            PartKind::Plain if turn.content.chars().count() < 80 => "tagged instruction following because the turn only acknowledges the instructions / format".to_string(),
            PartKind::Plain => "tagged instruction following because the turn is a plain reply with no Thought/Action markers".to_string(),
        },
        many => format!(
            "tagged {} (its first part in ReAct order); the turn has {} parts: {}",
            capability.label().to_lowercase(),
            many.len(),
            many.iter().map(part_phrase).collect::<Vec<_>>().join(", ")
        ),
    };
    if let Some(q) = follow_up_question(sample, index) {
        why.push_str(&format!(
            "; it answers the follow-up question “{}”",
            excerpt(q)
        ));
    }
    if turn.is_loss_masked() {
        why.push_str("; loss-masked (`loss: false`), so it is not trained on");
    }
    why
}

/// The user turn right before assistant turn `index`, when it is a short one-line question
/// (T-FLAN style follow-up; a new task prompt is longer or multi-line).
fn follow_up_question(sample: &Sample, index: usize) -> Option<&str> {
    let prev = sample.conversation.get(index.checked_sub(1)?)?;
    let text = prev.content.trim();
    (prev.role == Role::User
        && prev.original_role.is_none()
        && index >= 3
        && text.ends_with('?')
        && !text.contains('\n')
        && text.chars().count() <= 200)
        .then_some(text)
}

// ---------------------------------------------------------------------------------------------
// Sample-level rules

fn tagged<T>(value: T, why: impl Into<String>) -> Tagged<T> {
    Tagged {
        value,
        why: why.into(),
    }
}

const TASK_PREFIXES: [(&str, Task); 7] = [
    ("os_", Task::Os),
    ("db_", Task::Db),
    ("alfworld_", Task::Alfworld),
    ("webshop_", Task::Webshop),
    ("kg_", Task::Kg),
    ("mind2web_", Task::Mind2web),
    ("toolbench", Task::Toolbench),
];

/// Content cues of the AgentInstruct task prompts and ToolBench prompts (first system/user turn).
const TASK_CUES: [(&str, Task); 13] = [
    ("linux(ubuntu) operating system", Task::Os),
    ("```bash", Task::Os),
    ("mysql", Task::Db),
    ("```sql", Task::Db),
    ("household", Task::Alfworld),
    ("webshop", Task::Webshop),
    ("web shopping", Task::Webshop),
    ("knowledge base", Task::Kg),
    ("get_relations(", Task::Kg),
    ("html webpage", Task::Mind2web),
    ("autogpt", Task::Toolbench),
    ("you have access of the following tools", Task::Toolbench),
    ("subfunction for tool", Task::Toolbench),
];

fn task_of(sample: &Sample, source_name: &str) -> Tagged<Task> {
    let ids = std::iter::once(("id", sample.id.as_str())).chain(
        sample
            .derived_from
            .as_ref()
            .map(|d| ("derived_from.source_id", d.source_id.as_str())),
    );
    for (field, id) in ids {
        let lower = id.to_ascii_lowercase();
        if let Some((prefix, task)) = TASK_PREFIXES.iter().find(|(p, _)| lower.starts_with(p)) {
            return tagged(
                *task,
                format!(
                    "tagged {} because the {field} `{id}` starts with `{prefix}`",
                    task.name()
                ),
            );
        }
    }
    let src = sample.source.as_deref().unwrap_or(source_name);
    let lower_src = src.to_ascii_lowercase();
    if lower_src.contains("toolbench") {
        return tagged(
            Task::Toolbench,
            format!("tagged toolbench because the source file `{src}` is a ToolBench file"),
        );
    }
    // Whole words of the file name only: `agentinstruct/os.sample.jsonl` names `os`,
    // `photos_2.jsonl` does not.
    let words: Vec<&str> = lower_src
        .split(|c: char| !c.is_ascii_alphanumeric())
        .collect();
    for (prefix, task) in TASK_PREFIXES.iter().take(6) {
        let name = &prefix[..prefix.len() - 1];
        if words.contains(&name) {
            return tagged(
                *task,
                format!(
                    "tagged {} because the source file `{src}` names the task",
                    task.name()
                ),
            );
        }
    }
    if let Some(first) = sample
        .conversation
        .iter()
        .find(|t| t.role != Role::Assistant)
    {
        let lower = first.content.to_lowercase();
        if let Some((cue, task)) = TASK_CUES.iter().find(|(c, _)| lower.contains(c)) {
            return tagged(
                *task,
                format!(
                    "tagged {} because the first {} turn contains “{cue}”",
                    task.name(),
                    first.role.as_str()
                ),
            );
        }
    }
    tagged(Task::GeneralChat, "tagged general chat because neither the id, the source file nor the prompt names an agent task")
}

fn format_of(sample: &Sample, turns: &[TurnClass]) -> Tagged<Format> {
    const AGENT: [Capability; 3] = [
        Capability::Reasoning,
        Capability::Retrieval,
        Capability::Understanding,
    ];
    let agent_caps = |t: &TurnClass| -> u8 {
        t.parts
            .iter()
            .filter(|p| AGENT.contains(&p.capability))
            .fold(0u8, |m, p| m | p.capability.bit())
    };
    if let Some(mixed) = turns.iter().find(|t| agent_caps(t).count_ones() >= 2) {
        let parts: Vec<_> = mixed.parts.iter().map(part_phrase).collect();
        return tagged(
            Format::React,
            format!(
                "tagged ReAct because assistant turn {} combines {} in one message",
                mixed.turn_index + 1,
                parts.join(" + ")
            ),
        );
    }
    let singles: Vec<&TurnClass> = turns
        .iter()
        .filter(|t| agent_caps(t).count_ones() == 1)
        .collect();
    let covered = singles.iter().fold(0u8, |m, t| m | agent_caps(t));
    let asked = singles
        .iter()
        .filter(|t| follow_up_question(sample, t.turn_index).is_some())
        .count();
    if covered.count_ones() >= 2 && asked > 0 {
        let list: Vec<String> = singles
            .iter()
            .map(|t| format!("{} ({})", t.turn_index + 1, t.capability.name()))
            .collect();
        return tagged(Format::Tflan, format!(
            "tagged decomposed T-FLAN because thought, tool choice and arguments come in separate assistant turns ({}), {asked} of them answering follow-up questions",
            list.join(", ")));
    }
    let marked: Vec<&TurnClass> = turns
        .iter()
        .filter(|t| t.parts.iter().any(|p| p.kind != PartKind::Plain))
        .collect();
    if let Some(t) = marked
        .iter()
        .find(|t| follow_up_question(sample, t.turn_index).is_none())
    {
        return tagged(Format::React, format!(
            "tagged ReAct because assistant turn {} uses ReAct markers ({}) without being asked a follow-up question",
            t.turn_index + 1, t.parts.iter().map(part_phrase).collect::<Vec<_>>().join(" + ")));
    }
    if !marked.is_empty() {
        return tagged(Format::Tflan, format!(
            "tagged decomposed T-FLAN because every formatted assistant turn ({}) answers a follow-up question",
            marked.iter().map(|t| (t.turn_index + 1).to_string()).collect::<Vec<_>>().join(", ")));
    }
    tagged(
        Format::Chat,
        "tagged plain chat because no assistant turn has a Thought, an Action or tool arguments",
    )
}

fn tool_name_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#""(?:name|api_name)"\s*:\s*"([^"]{1,80})""#).expect("valid regex")
    })
}

/// Tool names offered in a system prompt (JSON `"name": "..."` entries).
pub fn offered_tools(system_prompt: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in tool_name_re().captures_iter(system_prompt) {
        let n = c[1].to_string();
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// One tool described in a system prompt, for the sample view's tools table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PromptTool {
    pub name: String,
    pub description: String,
    /// Parameter names (`parameters.properties` keys), required ones first.
    pub parameters: Vec<String>,
    pub required: Vec<String>,
    /// The tool's JSON as written in the prompt.
    pub json: serde_json::Value,
}

/// Tools listed as a JSON array of `{"name", "description", "parameters"}` objects in a prompt
/// (Lagent CALL_PROTOCOL style): the first such array found.
pub fn prompt_tools(prompt: &str) -> Vec<PromptTool> {
    for (start, _) in prompt.match_indices('[') {
        let mut stream =
            serde_json::Deserializer::from_str(&prompt[start..]).into_iter::<serde_json::Value>();
        let Some(Ok(serde_json::Value::Array(items))) = stream.next() else {
            continue;
        };
        let tools: Vec<PromptTool> = items.iter().filter_map(prompt_tool).collect();
        if !tools.is_empty() && tools.len() == items.len() {
            return tools;
        }
    }
    Vec::new()
}

fn prompt_tool(v: &serde_json::Value) -> Option<PromptTool> {
    let name = v.get("name")?.as_str()?.to_string();
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let params = v.get("parameters");
    let required: Vec<String> = params
        .and_then(|p| p.get("required"))
        .and_then(|r| r.as_array())
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut parameters = required.clone();
    if let Some(props) = params
        .and_then(|p| p.get("properties"))
        .and_then(|p| p.as_object())
    {
        parameters.extend(props.keys().filter(|k| !required.contains(k)).cloned());
    }
    Some(PromptTool {
        name,
        description: text("description"),
        parameters,
        required,
        json: v.clone(),
    })
}

fn negative_of(sample: &Sample, turns: &[TurnClass], format: Format) -> Tagged<Negative> {
    let calls = turns.iter().any(|t| {
        t.parts
            .iter()
            .any(|p| matches!(p.kind, PartKind::Action | PartKind::ActionInput))
    });
    if format != Format::Chat || calls {
        return tagged(
            Negative::None,
            "not negative: the assistant uses tools (or reasons in agent format)",
        );
    }
    let Some(system) = sample.conversation.iter().find(|t| t.role == Role::System) else {
        return tagged(
            Negative::None,
            "not negative: no system prompt, so there is no tool offer to refuse or miss",
        );
    };
    if turns.is_empty() {
        return tagged(Negative::None, "not negative: there is no assistant answer");
    }
    let names = offered_tools(&system.content);
    let lower = system.content.to_lowercase();
    if !names.is_empty() {
        let shown: Vec<String> = names.iter().take(4).map(|n| format!("`{n}`")).collect();
        let more = if names.len() > 4 {
            format!(" and {} more", names.len() - 4)
        } else {
            String::new()
        };
        return tagged(Negative::IrrelevantTools, format!(
            "tagged only-irrelevant-tools negative because the system prompt offers {} tool(s) ({}{more}) but no assistant turn calls any of them: the request is answered directly (paper §3.3)",
            names.len(), shown.join(", ")));
    }
    if lower.contains("following tools") || lower.contains("following apis") {
        return tagged(Negative::IrrelevantTools, "tagged only-irrelevant-tools negative because the system prompt lists tools but no assistant turn calls one (paper §3.3)");
    }
    tagged(Negative::NoTools, "tagged no-tools negative because the system prompt offers no tools and the assistant answers without a tool call (paper §3.3)")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::parse::{parse_bytes, ParseEvent};

    pub(crate) fn real_rows(task: &str) -> Vec<Sample> {
        let path = crate::public_path(&format!("data/sources/agentinstruct/{task}.sample.jsonl"));
        parse_bytes(&std::fs::read(path).unwrap())
            .into_iter()
            .filter_map(|e| match e {
                ParseEvent::Sample { sample, .. } => Some(sample),
                ParseEvent::BadLine(_) => None,
            })
            .collect()
    }

    #[test]
    fn real_agentinstruct_rows_get_their_task_and_react_format() {
        let expected = [
            ("os", Task::Os),
            ("db", Task::Db),
            ("alfworld", Task::Alfworld),
            ("webshop", Task::Webshop),
            ("kg", Task::Kg),
            ("mind2web", Task::Mind2web),
        ];
        for (name, task) in expected {
            for s in real_rows(name) {
                let c = classify(&s, "");
                assert_eq!(c.task.value, task, "{}: {}", s.id, c.task.why);
                assert!(c.task.why.contains(&s.id));
                // Without the id, the prompt cues alone must find the same task.
                let mut anon = s.clone();
                anon.id = "row".into();
                assert_eq!(classify(&anon, "").task.value, task, "{} by content", s.id);
                assert_eq!(c.format.value, Format::React, "{}: {}", s.id, c.format.why);
                assert_eq!(c.negative.value, Negative::None);
            }
        }
    }

    #[test]
    fn kg_turn_parts_name_the_tool_and_arguments() {
        let s = &real_rows("kg")[0]; // kg_132
        let c = classify(s, "");
        let t = &c.turns[1]; // "Thought: ...\nAction: get_relations(Gas-generator cycle)"
        assert_eq!(t.capability, Capability::Reasoning);
        let kinds: Vec<_> = t.parts.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [PartKind::Thought, PartKind::Action, PartKind::ActionInput]
        );
        assert_eq!(t.parts[1].detail, "Action: get_relations");
        assert_eq!(t.parts[2].detail, "Gas-generator cycle");
        assert!(
            t.why.contains("retrieval (`Action: get_relations`)"),
            "{}",
            t.why
        );
        // First assistant turn acknowledges the instructions.
        assert_eq!(c.turns[0].capability, Capability::InstructionFollowing);
        let last = c.turns.last().unwrap();
        assert_eq!(last.parts.last().unwrap().kind, PartKind::FinalAnswer);
    }

    #[test]
    fn os_bash_block_is_understanding_and_answer_is_final() {
        let s = &real_rows("os")[0]; // os_42
        let t = &classify(s, "").turns[0];
        let kinds: Vec<_> = t.parts.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [PartKind::Thought, PartKind::Action, PartKind::ActionInput]
        );
        assert_eq!(t.parts[1].detail, "Action: bash");
        let answer = &classify(s, "").turns[2]; // "Act: answer(220)"
        assert_eq!(answer.parts[1].kind, PartKind::FinalAnswer);
    }

    #[test]
    fn part_text_ranges_point_at_the_text() {
        let s = &real_rows("kg")[0];
        let turn = &s.conversation[3];
        let parts = turn_parts(turn);
        assert!(part_text(turn, &parts[0]).starts_with("I need to first find engines"));
        assert_eq!(part_text(turn, &parts[1]), "get_relations");
        assert_eq!(part_text(turn, &parts[2]), "Gas-generator cycle");
        let web = &real_rows("webshop")[0];
        let turn = &web.conversation[3];
        let parts = turn_parts(turn);
        assert_eq!(parts[1].detail, "Action: search");
        assert_eq!(
            part_text(turn, &parts[2]),
            "on-ear headphone noise cancelling price < 180.00"
        );
        let os = &real_rows("os")[0];
        let bash = &os.conversation[1];
        let parts = turn_parts(bash);
        assert_eq!(part_text(bash, &parts[2]), "ls /etc");
        let answer = &os.conversation[5];
        let parts = turn_parts(answer);
        assert_eq!(part_text(answer, &parts[1]), "220");
    }

    #[test]
    fn db_free_text_before_action_is_reasoning() {
        let s = &real_rows("db")[0]; // db_100: "New record created...\nAction: Answer\nFinal Answer: [...]"
        let c = classify(s, "");
        let last = c.turns.last().unwrap();
        assert_eq!(last.parts.last().unwrap().kind, PartKind::FinalAnswer);
    }

    #[test]
    fn source_file_names_give_the_task_by_whole_word() {
        let s = Sample::new(
            "row",
            vec![
                Turn::new(Role::User, "hi"),
                Turn::new(Role::Assistant, "ok"),
            ],
        );
        assert_eq!(
            classify(&s, "agentinstruct/kg.sample.jsonl").task.value,
            Task::Kg
        );
        assert_eq!(
            classify(&s, "toolbench_react_10p.jsonl").task.value,
            Task::Toolbench
        );
        assert_eq!(classify(&s, "photos_2.jsonl").task.value, Task::GeneralChat);
        assert!(classify(&s, "db-dump.jsonl")
            .task
            .why
            .contains("`db-dump.jsonl`"));
    }

    #[test]
    fn negative_shapes() {
        let tools = r#"You are a assistant who can utilize external tools.
[{"name": "get_weather", "description": "Weather", "parameters": {}}]"#;
        let irrelevant = Sample::new(
            "n1",
            vec![
                Turn::new(Role::System, tools),
                Turn::new(Role::User, "Write a haiku about rain."),
                Turn::new(Role::Assistant, "Rain taps the window..."),
            ],
        );
        let c = classify(&irrelevant, "");
        assert_eq!(
            c.negative.value,
            Negative::IrrelevantTools,
            "{}",
            c.negative.why
        );
        assert!(c.negative.why.contains("`get_weather`"));
        let no_tools = Sample::new(
            "n2",
            vec![
                Turn::new(Role::System, "You are a helpful assistant."),
                Turn::new(Role::User, "Book me a flight to Paris."),
                Turn::new(Role::Assistant, "I can't book flights, but here is how..."),
            ],
        );
        assert_eq!(classify(&no_tools, "").negative.value, Negative::NoTools);
        assert_eq!(classify(&no_tools, "").format.value, Format::Chat);
        let chat = Sample::new(
            "c",
            vec![
                Turn::new(Role::User, "hi"),
                Turn::new(Role::Assistant, "hello"),
            ],
        );
        assert_eq!(classify(&chat, "").negative.value, Negative::None);
        assert_eq!(classify(&chat, "").task.value, Task::GeneralChat);
    }

    #[test]
    fn prompt_tools_reads_lagent_tool_lists() {
        let prompt = r#"You are a assistant who can utilize external tools.
[{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"unit":{},"city":{}},"required":["city"]}},{"name":"f"}]
To use a tool, ... one of [get_weather, f]"#;
        let tools = prompt_tools(prompt);
        assert_eq!(tools.len(), 2);
        assert_eq!(tools[0].name, "get_weather");
        assert_eq!(tools[0].parameters, ["city", "unit"]);
        assert_eq!(tools[0].required, ["city"]);
        assert!(prompt_tools("no tools [1, 2] here").is_empty());
    }

    #[test]
    fn decomposed_turns_are_tflan() {
        let s = Sample::new(
            "toolbench_x_tflan",
            vec![
                Turn::new(Role::System, "tools: [{\"name\": \"f\"}]"),
                Turn::new(Role::User, "Get the weather in Paris."),
                Turn::new(Role::Assistant, "Thought: I need the weather tool."),
                Turn::new(Role::User, "Which tool should be used?"),
                Turn::new(Role::Assistant, "Action: f"),
                Turn::new(Role::User, "What arguments should be passed?"),
                Turn::new(Role::Assistant, "Action Input: {\"city\": \"Paris\"}"),
            ],
        );
        let c = classify(&s, "");
        assert_eq!(c.format.value, Format::Tflan, "{}", c.format.why);
        let caps: Vec<_> = c.turns.iter().map(|t| t.capability).collect();
        assert_eq!(
            caps,
            [
                Capability::Reasoning,
                Capability::Retrieval,
                Capability::Understanding
            ]
        );
        assert!(
            c.turns[1].why.starts_with(
                "tagged retrieval because the turn answers which tool to use: `Action: f`"
            ),
            "{}",
            c.turns[1].why
        );
        let codes = classify_codes(&s, "");
        assert_eq!(codes.capabilities, 0b0111);
        assert_eq!(codes.primary_turns, [1, 1, 1, 0]);
    }

    #[test]
    fn function_call_turns_from_openai_style_rows() {
        let v = serde_json::json!({"messages": [
            {"role": "system", "content": "You are AutoGPT"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "I should list them.", "function_call": {"name": "list_for_x", "arguments": "{}"}},
            {"role": "function", "name": "list_for_x", "content": "[]"},
            {"role": "assistant", "content": null, "function_call": {"name": "Finish", "arguments": "{\"return_type\":\"give_answer\"}"}}]});
        let s = Sample::from_value(v, "x").unwrap();
        let c = classify(&s, "toolbench_raw.jsonl");
        assert_eq!(c.task.value, Task::Toolbench);
        assert_eq!(c.format.value, Format::React);
        assert_eq!(
            c.turns[0].parts.iter().map(|p| p.kind).collect::<Vec<_>>(),
            [PartKind::Thought, PartKind::Action, PartKind::ActionInput]
        );
        assert_eq!(c.turns[1].capability, Capability::InstructionFollowing);
    }

    #[test]
    fn loss_masked_turns_are_counted_and_explained() {
        let s = Sample::new(
            "m",
            vec![
                Turn::new(Role::User, "hi").with_loss(false),
                Turn::new(Role::Assistant, "Ok.").with_loss(false),
            ],
        );
        let c = classify(&s, "");
        assert_eq!(c.loss_masked_turns, 2);
        assert!(c.turns[0].loss_masked);
        assert!(c.turns[0].why.contains("loss-masked"));
    }
}
