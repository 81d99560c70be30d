//! One module per service, plus the shared HTTP client.
