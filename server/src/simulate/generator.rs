//! Plans realistic conversation turns from a seeded random source: the same
//! seed gives the same conversations, stages, models, tokens and errors.
//! Pure: no clock, no I/O — times are offsets from the turn's start.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

struct Persona {
    name: &'static str,
    provider: &'static str,
    model: &'static str,
    /// Typical response latency range, ms.
    latency: (u64, u64),
    reasoning: bool,
}

const PERSONAS: &[Persona] = &[
    Persona { name: "sage", provider: "openai", model: "gpt-4o-2024-08-06", latency: (900, 3200), reasoning: false },
    Persona {
        name: "scout",
        provider: "groq",
        model: "llama-3.3-70b-versatile",
        latency: (250, 900),
        reasoning: false,
    },
    Persona {
        name: "muse",
        provider: "anthropic",
        model: "claude-sonnet-4-20250514",
        latency: (1200, 4200),
        reasoning: false,
    },
    Persona { name: "clerk", provider: "openai", model: "gpt-4o-mini", latency: (500, 1600), reasoning: false },
    Persona { name: "analyst", provider: "openai", model: "o4-mini", latency: (2500, 9000), reasoning: true },
];

/// The intent classifier: small, fast models.
const CLASSIFIERS: &[(&str, &str)] = &[("groq", "llama-3.1-8b-instant"), ("openai", "gpt-4.1-nano")];
const TOOLS: &[&str] = &["web_search", "crm_lookup", "calendar", "calculator"];
const INTENTS: &[&str] = &["question", "smalltalk", "booking", "complaint", "research"];

/// Chance that any one stage fails (the turn stops there).
/// The customers the demo pipeline serves; a conversation keeps one.
const TENANTS: &[&str] = &["acme", "globex", "initech"];
const ERROR_RATE: f64 = 0.05;
/// Chance that a turn continues an open conversation rather than starting one.
const CONTINUE_RATE: f64 = 0.6;
const OPEN_CHATS: usize = 24;

/// One stage event to send `at_ms` after the turn started (when it ends).
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedEvent {
    pub at_ms: u64,
    /// The event in the public wire format, without `ts` (set when sent).
    pub body: Value,
    /// Offset of the stage start from the turn start.
    pub start_ms: u64,
}

pub struct Generator {
    rng: ChaCha8Rng,
    chats: Vec<(String, u32)>,
}

/// A chat's tenant, from its id (so it never changes, and the generator's
/// random sequence is the same as without tenants).
fn tenant_of(chat_id: &str) -> &'static str {
    let h = chat_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    TENANTS[h as usize % TENANTS.len()]
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { rng: ChaCha8Rng::seed_from_u64(seed), chats: Vec::new() }
    }

    /// Milliseconds until the next turn starts, for `rate` turns per second
    /// (exponential gaps: a Poisson process, like real traffic).
    pub fn gap_ms(&mut self, rate: f64) -> u64 {
        let u: f64 = self.rng.gen_range(f64::EPSILON..1.0);
        (-u.ln() / rate * 1000.0) as u64
    }

    pub fn next_turn(&mut self) -> Vec<PlannedEvent> {
        let (chat_id, turn) = self.pick_chat();
        let turn_id = format!("{chat_id}-t{turn}");
        let persona = &PERSONAS[self.rng.gen_range(0..PERSONAS.len())];
        let mut clock = 0u64;
        let mut events = Vec::new();

        let mut stages: Vec<&str> = vec!["buffer", "intent", "persona"];
        if self.rng.gen_bool(0.4) {
            stages.push("tools");
        }
        stages.extend(["response", "send"]);

        for stage in stages {
            let duration = self.duration(stage, persona);
            let failed = self.rng.gen_bool(ERROR_RATE);
            let mut body = json!({
                "chatId": chat_id,
                "turnId": turn_id,
                "stage": stage,
                "status": if failed { "error" } else { "success" },
                "durationMs": duration,
                "tenant": tenant_of(&chat_id),
            });
            self.describe(stage, persona, &mut body);
            if failed {
                body["error"] = json!(self.error_for(stage, persona));
            }
            events.push(PlannedEvent { at_ms: clock + duration, body, start_ms: clock });
            clock += duration + self.rng.gen_range(1..15);
            if failed {
                break;
            }
        }
        events
    }

    fn pick_chat(&mut self) -> (String, u32) {
        if !self.chats.is_empty() && self.rng.gen_bool(CONTINUE_RATE) {
            let i = self.rng.gen_range(0..self.chats.len());
            self.chats[i].1 += 1;
            return self.chats[i].clone();
        }
        let id = format!("chat-{:06x}", self.rng.gen_range(0..0xff_ffffu32));
        if self.chats.len() == OPEN_CHATS {
            self.chats.remove(0);
        }
        self.chats.push((id.clone(), 1));
        (id, 1)
    }

    fn duration(&mut self, stage: &str, p: &Persona) -> u64 {
        let (lo, hi) = match stage {
            "buffer" => (4, 40),
            "intent" => (120, 650),
            "persona" => (15, 110),
            "tools" => (180, 2600),
            "response" => p.latency,
            _ => (8, 90),
        };
        self.rng.gen_range(lo..=hi)
    }

    fn describe(&mut self, stage: &str, p: &Persona, body: &mut Value) {
        match stage {
            "intent" => {
                let (provider, model) = CLASSIFIERS[self.rng.gen_range(0..CLASSIFIERS.len())];
                body["provider"] = json!(provider);
                body["model"] = json!(model);
                body["usage"] = json!({
                    "inputTokens": self.rng.gen_range(180..700),
                    "outputTokens": self.rng.gen_range(3..24),
                });
                body["meta"] = json!({ "intent": INTENTS.choose(&mut self.rng) });
            }
            "persona" => body["persona"] = json!(p.name),
            "tools" => {
                body["persona"] = json!(p.name);
                body["meta"] = json!({ "tool": TOOLS.choose(&mut self.rng), "calls": self.rng.gen_range(1..4) });
            }
            "response" => {
                body["persona"] = json!(p.name);
                body["provider"] = json!(p.provider);
                body["model"] = json!(p.model);
                body["usage"] = self.usage(p);
            }
            "send" => body["persona"] = json!(p.name),
            _ => {}
        }
    }

    /// Token counts in the provider's own usage shape, as agents report them.
    fn usage(&mut self, p: &Persona) -> Value {
        let input: u64 = self.rng.gen_range(700..4200);
        let output: u64 = self.rng.gen_range(60..700);
        let cached = if self.rng.gen_bool(0.5) { input * self.rng.gen_range(30..85) / 100 } else { 0 };
        match p.provider {
            "anthropic" => {
                let write = if cached == 0 && self.rng.gen_bool(0.3) { input / 2 } else { 0 };
                json!({
                    "input_tokens": input - cached - write,
                    "output_tokens": output,
                    "cache_read_input_tokens": cached,
                    "cache_creation_input_tokens": write,
                })
            }
            _ => {
                let reasoning = if p.reasoning { output * self.rng.gen_range(40..80) / 100 } else { 0 };
                json!({
                    "prompt_tokens": input,
                    "completion_tokens": output,
                    "total_tokens": input + output,
                    "prompt_tokens_details": { "cached_tokens": cached },
                    "completion_tokens_details": { "reasoning_tokens": reasoning },
                })
            }
        }
    }

    fn error_for(&mut self, stage: &str, p: &Persona) -> String {
        let options: &[String] = &match stage {
            "intent" | "response" => vec![
                format!("{}: 429 rate_limit_exceeded", p.provider),
                format!("{}: request timed out after 30 s", p.provider),
                "context_length_exceeded: prompt too long".to_string(),
            ],
            "tools" => vec!["tool call failed: upstream 502".to_string(), "tool call timed out".to_string()],
            "send" => vec!["channel closed by client".to_string()],
            _ => vec![format!("{stage} failed: internal error")],
        };
        options.choose(&mut self.rng).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_traffic() {
        let (mut a, mut b) = (Generator::new(7), Generator::new(7));
        for _ in 0..20 {
            assert_eq!(a.next_turn(), b.next_turn());
        }
        assert_ne!(Generator::new(1).next_turn(), Generator::new(2).next_turn());
    }

    #[test]
    fn turns_follow_the_pipeline_and_fail_about_five_percent() {
        let mut g = Generator::new(42);
        let (mut events, mut errors, mut with_tools) = (0, 0, 0);
        for _ in 0..2000 {
            let turn = g.next_turn();
            let stages: Vec<&str> = turn.iter().map(|e| e.body["stage"].as_str().unwrap()).collect();
            let full = ["buffer", "intent", "persona", "tools", "response", "send"];
            let expected: Vec<&str> =
                full.iter().copied().filter(|s| *s != "tools" || stages.contains(&"tools")).collect();
            assert_eq!(stages, expected[..stages.len()], "stages run in order");
            assert!(turn.windows(2).all(|w| w[0].at_ms < w[1].at_ms), "events are spaced in time");
            with_tools += usize::from(stages.contains(&"tools"));
            events += turn.len();
            errors += turn.iter().filter(|e| e.body["status"] == "error").count();
        }
        let rate = errors as f64 / events as f64;
        assert!((0.03..0.07).contains(&rate), "error rate {rate}");
        assert!((600..1000).contains(&with_tools), "tools in {with_tools} of 2000 turns");
    }

    #[test]
    fn every_planned_event_passes_validation() {
        let mut g = Generator::new(3);
        for _ in 0..300 {
            for e in g.next_turn() {
                pipeline::ingest::validate::validate(0, &e.body, 0).unwrap();
            }
        }
    }
}
