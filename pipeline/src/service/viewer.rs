//! Who is reading, as the service needs to know it. The rule "viewers never
//! see cost" is [`Viewer::sees_cost`]; every read that can reach a viewer
//! passes its answer through [`Viewer::shape`]. The rule "a tenant's key
//! reads only that tenant" is [`Viewer::tenant_scope`]; every read that
//! can reach a read key takes its tenant filter from there.

use super::ServiceError;
use domain::auth::{Me, Role};
use domain::visibility::HideCost;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    role: Role,
    /// The signed-in user; `None` for a read API key.
    user: Option<i64>,
    /// The one tenant a scoped read key may read.
    tenant: Option<String>,
    /// Who this is in the audit log: the user's email, `command line`, or
    /// `read key`.
    name: String,
}

impl Viewer {
    /// A signed-in person.
    pub fn user(me: &Me) -> Viewer {
        Viewer { role: me.role, user: Some(me.id), tenant: None, name: me.email.clone() }
    }

    /// A read API key reads what an admin reads (and never writes) — of
    /// one tenant only, when the key is scoped to it.
    pub fn read_key(tenant: Option<String>) -> Viewer {
        Viewer { role: Role::Admin, user: None, tenant, name: "read key".into() }
    }

    /// The operator at the server's command line (`server create-admin`),
    /// who acts as an admin.
    pub fn command_line() -> Viewer {
        Viewer { role: Role::Admin, user: None, tenant: None, name: "command line".into() }
    }

    /// Who this is in the audit log: (user id, name).
    pub fn actor(&self) -> (Option<i64>, &str) {
        (self.user, &self.name)
    }

    /// The tenant this reader is limited to, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The tenant filter a read must use, given the one `asked` for: a
    /// scoped reader always reads its own tenant (asking for another is
    /// refused, naming the field); anyone else reads what they asked.
    pub fn tenant_scope(&self, asked: Option<String>) -> Result<Option<String>, ServiceError> {
        match (&self.tenant, asked) {
            (None, asked) => Ok(asked),
            (Some(mine), None) => Ok(Some(mine.clone())),
            (Some(mine), Some(asked)) if &asked == mine => Ok(Some(asked)),
            (Some(mine), Some(_)) => Err(ServiceError::Forbidden {
                field: "tenant",
                message: format!("this API key reads tenant `{mine}` only"),
            }),
        }
    }

    /// Health details (every tenant's traffic at once) are for admins and
    /// unscoped read keys.
    pub fn sees_health_details(&self) -> bool {
        self.role >= Role::Admin && self.tenant.is_none()
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The signed-in user's id (`None` for a read key), for the logs.
    pub fn user_id(&self) -> Option<i64> {
        self.user
    }

    /// The one rule: money is for admins (and read keys).
    pub fn sees_cost(&self) -> bool {
        self.role >= Role::Admin
    }

    /// Alert toasts go to admins' open dashboards (not to API clients).
    pub fn sees_alerts(&self) -> bool {
        self.user.is_some() && self.role >= Role::Admin
    }

    /// `record` as this viewer may see it.
    pub fn shape<T: HideCost>(&self, mut record: T) -> T {
        if !self.sees_cost() {
            record.hide_cost();
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_and_read_keys_see_cost() {
        let viewer = Viewer::user(&Me { id: 1, email: "v@x".into(), role: Role::Viewer });
        let admin = Viewer::user(&Me { id: 2, email: "a@x".into(), role: Role::Admin });
        assert!(!viewer.sees_cost() && admin.sees_cost() && Viewer::read_key(None).sees_cost());
        assert!(admin.sees_alerts() && !viewer.sees_alerts() && !Viewer::read_key(None).sees_alerts());
    }

    #[test]
    fn a_scoped_key_reads_its_tenant_only() {
        let acme = Viewer::read_key(Some("acme".into()));
        assert_eq!(acme.tenant_scope(None).unwrap().as_deref(), Some("acme"));
        assert_eq!(acme.tenant_scope(Some("acme".into())).unwrap().as_deref(), Some("acme"));
        let refused = acme.tenant_scope(Some("globex".into())).unwrap_err();
        assert_eq!(refused.status(), 403);
        assert!(refused.to_string().contains("`tenant`"), "{refused}");
        assert_eq!(Viewer::read_key(None).tenant_scope(Some("globex".into())).unwrap().as_deref(), Some("globex"));
        assert!(!acme.sees_health_details() && Viewer::read_key(None).sees_health_details());
    }
}
