//! Who is reading, as the service needs to know it. The rule "viewers never
//! see cost" is [`Viewer::sees_cost`]; every read that can reach a viewer
//! passes its answer through [`Viewer::shape`].

use domain::auth::{Me, Role};
use domain::visibility::HideCost;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    role: Role,
    /// The signed-in user; `None` for a read API key.
    user: Option<i64>,
}

impl Viewer {
    /// A signed-in person.
    pub fn user(me: &Me) -> Viewer {
        Viewer { role: me.role, user: Some(me.id) }
    }

    /// A read API key reads what an admin reads (and never writes).
    pub fn read_key() -> Viewer {
        Viewer { role: Role::Admin, user: None }
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
        assert!(!viewer.sees_cost() && admin.sees_cost() && Viewer::read_key().sees_cost());
        assert!(admin.sees_alerts() && !viewer.sees_alerts() && !Viewer::read_key().sees_alerts());
    }
}
