//! Every way the emulator refuses a request, each under a stable id a test can list: the
//! shell's own (a path no route serves, a request the HTTP layer refuses) and each served
//! service's. The types and the header live in the service contract
//! ([`crate::service::emulator::refusal`]).

pub use crate::service::emulator::refusal::{HEADER, Refusal, of, tag};

use crate::service::Services;
use crate::service::emulator::parts;

crate::refusals! {
    /// A path no emulated route serves.
    NO_ROUTE = ("emulator.no_route", 404, "NotFound", "a path no route serves");
    /// The HTTP layer refused before a route ran (a method the path does not take, a body
    /// over the size limit, a form that does not parse).
    FRAMEWORK = ("emulator.framework", 400, "-", "a request the HTTP layer refuses before any route");
}

/// Every refusal: the emulator's own, then each service's, in list order.
pub fn all(services: &Services) -> impl Iterator<Item = &'static Refusal> + '_ {
    ALL.iter()
        .chain(parts(services).flat_map(|p| p.refusals().iter()))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::Response;

    #[test]
    fn tag_merges_ids() {
        let resp = tag(Response::default(), &[&NO_ROUTE]);
        let resp = tag(resp, &[&FRAMEWORK, &NO_ROUTE]);
        assert_eq!(of(&resp), ["emulator.no_route", "emulator.framework"]);
    }
}
