//! Who is asking: roles and the views of users and keys the admin area
//! shows. Shared with the browser, which only ever hides what the server
//! already refuses.

use serde::{Deserialize, Serialize};

/// Ordered: an admin can do everything a viewer can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The flow canvas and replay, without cost figures.
    Viewer,
    /// Everything.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in user, as the page knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

impl Me {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: i64,
    pub disabled: bool,
    pub last_login_at: Option<i64>,
}

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyScope {
    /// Post events (the default).
    Ingest,
    /// Read the REST summary API.
    Read,
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Ingest => "ingest",
            KeyScope::Read => "read",
        }
    }

    pub fn parse(s: &str) -> KeyScope {
        if s == "read" {
            KeyScope::Read
        } else {
            KeyScope::Ingest
        }
    }
}

/// What a checked key grants: its scope, and the one tenant it is limited
/// to, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGrant {
    pub scope: KeyScope,
    pub tenant: Option<String>,
}

/// A stored key as the admin list shows it (never the key itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scope: KeyScope,
    /// The one tenant this key writes or reads (none: every tenant).
    #[serde(default)]
    pub tenant: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}
