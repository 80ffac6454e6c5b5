//! The audit log as the admin area lists it: who changed what, and when.
//! The actions are a closed list, so a log reader can filter on them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every admin action that is recorded; written as its name (`key.revoke`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    UserCreated,
    RoleChanged,
    UserDisabled,
    UserEnabled,
    KeyCreated,
    KeyRevoked,
    PriceChanged,
    Repriced,
    BudgetSaved,
    BudgetDeleted,
    RuleSaved,
    RuleDeleted,
    TelemetrySwitched,
    RetentionChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 14] = [
        AuditAction::UserCreated,
        AuditAction::RoleChanged,
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::KeyCreated,
        AuditAction::KeyRevoked,
        AuditAction::PriceChanged,
        AuditAction::Repriced,
        AuditAction::BudgetSaved,
        AuditAction::BudgetDeleted,
        AuditAction::RuleSaved,
        AuditAction::RuleDeleted,
        AuditAction::TelemetrySwitched,
        AuditAction::RetentionChanged,
    ];

    /// As stored and logged: `user.create`, `key.revoke`, …
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::UserCreated => "user.create",
            AuditAction::RoleChanged => "user.role",
            AuditAction::UserDisabled => "user.disable",
            AuditAction::UserEnabled => "user.enable",
            AuditAction::KeyCreated => "key.create",
            AuditAction::KeyRevoked => "key.revoke",
            AuditAction::PriceChanged => "price.change",
            AuditAction::Repriced => "price.reprice",
            AuditAction::BudgetSaved => "budget.save",
            AuditAction::BudgetDeleted => "budget.delete",
            AuditAction::RuleSaved => "rule.save",
            AuditAction::RuleDeleted => "rule.delete",
            AuditAction::TelemetrySwitched => "telemetry.switch",
            AuditAction::RetentionChanged => "retention.change",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl Serialize for AuditAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AuditAction, D::Error> {
        let name = String::deserialize(d)?;
        AuditAction::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown audit action `{name}`")))
    }
}

/// One recorded action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    /// Epoch milliseconds.
    pub at: i64,
    /// The admin's email as it was then, or `command line`.
    pub actor: String,
    pub action: AuditAction,
    /// What was changed: `user 3`, `key 7`, `model gpt-4o`, …
    pub target: String,
    /// The change itself (`role=viewer`, `enabled=false`), never a secret.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_name() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("user.delete"), None);
    }
}
