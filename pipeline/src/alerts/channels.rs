//! What each channel is sent when an alert fires or resolves: the URL and
//! the JSON body. Pure, so every shape is tested here; the server's alert
//! task posts it and retries.
//!
//! | channel | body |
//! |---|---|
//! | webhook | `text` (and `content`, for a Discord URL set up as a plain webhook), `change`, `severity`, the whole `alert` |
//! | Slack | `text`, plus an attachment coloured by severity |
//! | Discord | one embed coloured by severity; mentions are switched off |
//! | Telegram | `sendMessage` to the chat, HTML with every user value escaped |

use domain::alerts::{AlertNotice, Channel, Notify, Severity};
use serde_json::{json, Value};

/// One request to make.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub url: String,
    pub body: Value,
}

/// Embed and attachment colours (RGB), by severity; green once resolved.
pub fn colour(notice: &AlertNotice) -> u32 {
    if notice.change == "resolved" {
        return 0x2E7D32;
    }
    match notice.alert.severity {
        Severity::Info => 0x1E88E5,
        Severity::Warning => 0xF9A825,
        Severity::Critical => 0xD32F2F,
    }
}

/// `[Flowmeter] CRITICAL: …` or `[Flowmeter] RESOLVED: …`.
pub fn headline(notice: &AlertNotice) -> String {
    let tag = match notice.change.as_str() {
        "resolved" => "RESOLVED".to_string(),
        _ => notice.alert.severity.as_str().to_uppercase(),
    };
    format!("[Flowmeter] {tag}: {}", notice.alert.message)
}

/// The request for `notice` on `to`; Telegram's goes to `telegram_api`
/// (`https://api.telegram.org`, or a test's receiver).
pub fn outgoing(notice: &AlertNotice, to: &Notify, telegram_api: &str) -> Outgoing {
    let a = &notice.alert;
    let text = headline(notice);
    match to.channel {
        Channel::Webhook => Outgoing {
            url: to.url.clone(),
            body: json!({ "text": text, "content": text, "change": notice.change, "severity": a.severity, "alert": a }),
        },
        Channel::Slack => Outgoing {
            url: to.url.clone(),
            body: json!({
                "text": slack_escape(&text),
                "attachments": [{
                    "color": format!("#{:06x}", colour(notice)),
                    "fields": [
                        { "title": "Severity", "value": a.severity.as_str(), "short": true },
                        { "title": "Value", "value": number(a.value), "short": true },
                        { "title": "Threshold", "value": number(a.threshold), "short": true },
                    ],
                    "footer": "Flowmeter",
                    "ts": a.fired_at / 1000,
                }],
            }),
        },
        Channel::Discord => {
            let title = match notice.change.as_str() {
                "resolved" => format!("Resolved: {}", a.name),
                _ => format!("{}: {}", a.severity.as_str().to_uppercase(), a.name),
            };
            Outgoing {
                url: to.url.clone(),
                body: json!({
                    "username": "Flowmeter",
                    "allowed_mentions": { "parse": [] },
                    "embeds": [{
                        "title": clip(&title, 256),
                        "description": clip(&a.message, 4096),
                        "color": colour(notice),
                        "timestamp": domain::time::to_rfc3339(a.resolved_at.unwrap_or(a.fired_at)),
                        "fields": [
                            { "name": "Severity", "value": a.severity.as_str(), "inline": true },
                            { "name": "Value", "value": number(a.value), "inline": true },
                            { "name": "Threshold", "value": number(a.threshold), "inline": true },
                        ],
                        "footer": { "text": "Flowmeter" },
                    }],
                }),
            }
        }
        Channel::Telegram => {
            let head = match notice.change.as_str() {
                "resolved" => "✅ <b>RESOLVED</b>".to_string(),
                _ => format!("{} <b>{}</b>", icon(a.severity), a.severity.as_str().to_uppercase()),
            };
            let text = format!(
                "{head} · <b>{}</b>\n{}\n<i>value {} · threshold {}</i>",
                html_escape(&a.name),
                html_escape(&clip(&a.message, 3500)),
                number(a.value),
                number(a.threshold)
            );
            Outgoing {
                url: format!("{}/bot{}/sendMessage", telegram_api.trim_end_matches('/'), to.bot_token),
                body: json!({
                    "chat_id": to.chat_id,
                    "text": text,
                    "parse_mode": "HTML",
                    "disable_web_page_preview": true,
                }),
            }
        }
    }
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Info => "ℹ️",
        Severity::Warning => "⚠️",
        Severity::Critical => "🔴",
    }
}

/// 90.0 → "90", 12.5 → "12.5".
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => format!("{}…", &s[..i]),
        _ => s.to_string(),
    }
}

/// Telegram's HTML mode: `&`, `<` and `>` must be entities.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Slack's control characters are the same three.
fn slack_escape(s: &str) -> String {
    html_escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::alerts::Alert;

    fn notice(change: &str, severity: Severity, name: &str) -> AlertNotice {
        AlertNotice {
            change: change.into(),
            alert: Alert {
                id: 7,
                source: "rule".into(),
                source_id: 3,
                level: "firing".into(),
                severity,
                name: name.into(),
                message: format!("{name}: error rate 30.0 % over the last 5 min; threshold 20 %"),
                value: 30.0,
                threshold: 20.0,
                fired_at: 1_764_547_200_000,
                resolved_at: None,
                webhook_status: "pending".into(),
                webhook_attempts: 0,
                webhook_error: None,
            },
        }
    }

    #[test]
    fn discord_gets_an_embed_coloured_by_severity_and_no_pings() {
        let to = Notify {
            channel: Channel::Discord,
            url: "https://discord.test/api/webhooks/1/t".into(),
            ..Notify::default()
        };
        let o = outgoing(&notice("fired", Severity::Critical, "@everyone errors"), &to, "");
        assert_eq!(o.url, to.url);
        let e = &o.body["embeds"][0];
        assert_eq!(e["color"], 0xD32F2F);
        assert_eq!(e["title"], "CRITICAL: @everyone errors");
        assert_eq!(e["fields"][1]["value"], "30");
        assert_eq!(e["timestamp"], "2025-12-01T00:00:00.000Z");
        assert_eq!(o.body["allowed_mentions"]["parse"], json!([]));
        assert!(o.body.get("content").is_none(), "nothing outside the embed that could ping");
        let warn = outgoing(&notice("fired", Severity::Warning, "x"), &to, "");
        let info = outgoing(&notice("fired", Severity::Info, "x"), &to, "");
        let done = outgoing(&notice("resolved", Severity::Critical, "x"), &to, "");
        let colours: Vec<_> = [warn, info, done].iter().map(|o| o.body["embeds"][0]["color"].clone()).collect();
        assert_eq!(colours, [json!(0xF9A825), json!(0x1E88E5), json!(0x2E7D32)]);
    }

    #[test]
    fn telegram_gets_escaped_html_at_its_bot_url() {
        let to = Notify {
            channel: Channel::Telegram,
            bot_token: "123:abc".into(),
            chat_id: "-100200".into(),
            ..Notify::default()
        };
        let o = outgoing(&notice("fired", Severity::Warning, "<b>p95</b> & co"), &to, "http://127.0.0.1:9/");
        assert_eq!(o.url, "http://127.0.0.1:9/bot123:abc/sendMessage");
        assert_eq!(o.body["chat_id"], "-100200");
        assert_eq!(o.body["parse_mode"], "HTML");
        let text = o.body["text"].as_str().unwrap();
        assert!(text.starts_with("⚠️ <b>WARNING</b> · <b>&lt;b&gt;p95&lt;/b&gt; &amp; co</b>\n"), "{text}");
        assert!(!text.contains("<b>p95"), "user data is escaped");
        assert!(text.ends_with("<i>value 30 · threshold 20</i>"), "{text}");
    }

    #[test]
    fn slack_and_plain_webhooks() {
        let slack = Notify { channel: Channel::Slack, url: "https://hooks.slack.test/x".into(), ..Notify::default() };
        let o = outgoing(&notice("resolved", Severity::Critical, "a<b"), &slack, "");
        assert!(o.body["text"].as_str().unwrap().starts_with("[Flowmeter] RESOLVED: a&lt;b"));
        assert_eq!(o.body["attachments"][0]["color"], "#2e7d32");
        let o = outgoing(&notice("fired", Severity::Info, "n"), &Notify::webhook("https://x.test/h"), "");
        assert_eq!(o.body["text"], o.body["content"]);
        assert!(o.body["text"].as_str().unwrap().starts_with("[Flowmeter] INFO: n:"));
        assert_eq!((o.body["severity"].as_str(), o.body["alert"]["id"].as_i64()), (Some("info"), Some(7)));
    }

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        assert_eq!(clip("ééé", 2), "é…");
        assert_eq!(clip("ab", 2), "ab");
        assert_eq!(number(12.5), "12.5");
    }
}
