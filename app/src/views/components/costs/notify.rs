//! Where a budget's or rule's alerts go: a channel picker and the fields
//! that channel needs (a URL, or Telegram's bot token and chat id). Shared
//! by both forms so they ask the same way.

use crate::domain::alerts::{Channel, Notify};
use leptos::prelude::*;

/// The form's state; [`NotifyState::get`] gives what to send.
#[derive(Clone, Copy)]
pub struct NotifyState {
    channel: RwSignal<String>,
    url: RwSignal<String>,
    bot_token: RwSignal<String>,
    chat_id: RwSignal<String>,
}

impl Default for NotifyState {
    fn default() -> NotifyState {
        let f = || RwSignal::new(String::new());
        NotifyState { channel: RwSignal::new("webhook".into()), url: f(), bot_token: f(), chat_id: f() }
    }
}

impl NotifyState {
    pub fn get(&self) -> Notify {
        Notify {
            channel: Channel::parse(&self.channel.get()).unwrap_or_default(),
            url: self.url.get(),
            bot_token: self.bot_token.get(),
            chat_id: self.chat_id.get(),
        }
    }
}

/// `prefix` tells the fields of two forms on one page apart for screen
/// readers ("Budget", "Rule").
#[component]
pub fn NotifyFields(state: NotifyState, prefix: &'static str) -> impl IntoView {
    let telegram = move || state.channel.get() == "telegram";
    view! {
        <select aria-label=format!("{prefix} alert channel") on:change:target=move |ev| state.channel.set(ev.target().value())>
            <option value="webhook">"webhook"</option>
            <option value="slack">"Slack"</option>
            <option value="discord">"Discord"</option>
            <option value="telegram">"Telegram"</option>
        </select>
        <Show
            when=telegram
            fallback=move || view! {
                <input placeholder="webhook URL (optional)" bind:value=state.url aria-label=format!("{prefix} webhook URL")/>
            }
        >
            <input placeholder="bot token" autocomplete="off" bind:value=state.bot_token aria-label=format!("{prefix} Telegram bot token")/>
            <input placeholder="chat id" bind:value=state.chat_id aria-label=format!("{prefix} Telegram chat id")/>
        </Show>
    }
}

/// "Slack", "Telegram", …: where a rule or budget sends, for lists.
pub fn describe(n: &Option<Notify>) -> &'static str {
    match n.as_ref().map(|n| n.channel) {
        None => "no channel",
        Some(Channel::Webhook) => "webhook",
        Some(Channel::Slack) => "Slack",
        Some(Channel::Discord) => "Discord",
        Some(Channel::Telegram) => "Telegram",
    }
}
