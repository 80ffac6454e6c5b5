//! Percent-encoding for links: one place, so a chat id with `/`, `?` or
//! spaces in it still names one path segment, and a path carried in a query
//! parameter (`?next=`) comes back whole.

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    encode_keeping(s, b"")
}

/// Percent-encodes a local path (with its query) to carry in a query
/// parameter such as `?next=`: `/` stays readable.
pub fn encode_path(s: &str) -> String {
    encode_keeping(s, b"/")
}

fn encode_keeping(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(super::encode("chat 1/a?b"), "chat%201%2Fa%3Fb");
        assert_eq!(super::encode("c-1_x.y~"), "c-1_x.y~");
        assert_eq!(super::encode_path("/replay/a b?x=1"), "/replay/a%20b%3Fx%3D1");
    }
}
