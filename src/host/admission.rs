//! How many sessions one client may start. A visitor who only looks at pages starts none (the
//! page is drawn from an empty state and nothing is stored); the first click, or a run that
//! writes `state`, starts one. A client address that starts more than its budget per minute is
//! refused with a clear answer, so nobody can fill the store from one address.

use std::net::IpAddr;

use crate::auth::limits::ClientLimiter;
use crate::error::AppError;

pub struct Admission {
    limiter: ClientLimiter,
}

impl Admission {
    /// Admits `per_minute` new sessions per client address (in bursts of the same size).
    pub fn new(per_minute: u32) -> Self {
        Self { limiter: ClientLimiter::new(per_minute) }
    }

    /// Counts a new session for `client` (the audit address: an IP, or `-` when unknown, which
    /// all unknown clients share). Refused when the client has used up its budget.
    pub fn admit(&self, client: &str) -> Result<(), AppError> {
        let address = client.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        self.limiter.check(address).map_err(AppError::TooManySessions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_budget_is_refused_with_the_wait_and_another_client_is_not() {
        let admission = Admission::new(2);
        assert!(admission.admit("10.0.0.1").is_ok());
        assert!(admission.admit("10.0.0.1").is_ok());
        assert!(matches!(admission.admit("10.0.0.1"), Err(AppError::TooManySessions(wait)) if !wait.is_zero()));
        assert!(admission.admit("10.0.0.2").is_ok());
    }
}
