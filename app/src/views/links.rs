//! Links between views: one place builds them, so a chat id with `/`, `?`
//! or spaces in it still opens its own replay.

use crate::domain::url::encode;

/// The replay of one conversation.
pub fn replay(chat_id: &str) -> String {
    format!("/replay/{}", encode(chat_id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn chat_ids_are_one_path_segment() {
        assert_eq!(super::replay("chat 1/a?b"), "/replay/chat%201%2Fa%3Fb");
        assert_eq!(super::replay("c-1_x.y~"), "/replay/c-1_x.y~");
    }
}
