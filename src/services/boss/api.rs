//! How the Boss is reached: its base URL (paths start with `/v1`); requests carry the Boss
//! user's own `Authorization: Token …`, not a Globus token.

use crate::http::{Api, ServiceId};

/// The Boss's API (a target's `boss.url` moves it).
pub static API: Api = Api::new("boss", "https://api.theboss.io", "/boss");

/// Requests to the Boss.
pub const ID: ServiceId = ServiceId::fixed("boss");
