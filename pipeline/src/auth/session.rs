//! Session tokens: 256 random bits in an HttpOnly, SameSite=Strict cookie
//! (Secure when served over TLS). The store keeps only the token's SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "fm_session";
/// Sessions last a week.
pub const TTL_MS: i64 = 7 * 86_400_000;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The `Set-Cookie` value that stores `token`.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let max_age = TTL_MS / 1000;
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// The session token from a `Cookie` header, if any.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header.split(';').map(str::trim).find_map(|c| c.strip_prefix(COOKIE)?.strip_prefix('=')).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        let c = set_cookie(&t, false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure"));
        assert!(set_cookie(&t, true).ends_with("; Secure"));
        assert_eq!(from_cookie_header(&format!("a=1; {COOKIE}={t}; b=2")), Some(t.as_str()));
        assert_eq!(from_cookie_header("fm_session_x=1"), None);
        assert_eq!(from_cookie_header(&format!("{COOKIE}=")), None);
        assert_ne!(token_hash(&t), t);
    }
}
