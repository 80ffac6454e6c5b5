//! Who is signed in, for the page chrome (navigation by role).

use crate::domain::auth::Me;
use leptos::prelude::*;

#[server(endpoint = "me")]
pub async fn get_me() -> Result<Option<Me>, ServerFnError> {
    Ok(super::current_user())
}
