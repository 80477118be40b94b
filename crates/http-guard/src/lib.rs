//! Who may talk to the server: requests naming it by its own address only (a `Host` that is
//! the bound address, or the loopback names on its port), so that a page on another site
//! whose name was rebound to 127.0.0.1 cannot read it; state-changing requests from no other
//! origin; and no body in a type a browser sends cross-origin without asking first
//! (`text/plain`, forms), which a page could otherwise post to it.
//!
//! The dashboard and Prometheus servers (`pipegen-observe`) and the embedded schema registry
//! (`pipegen-registry`) apply these rules.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, Method, StatusCode, header};

/// The names a request may give for a server bound to `bound`.
#[derive(Debug, Clone)]
pub struct Guard {
    port: u16,
    hosts: Vec<String>,
    /// Bound to every interface: any IP address literal on the port names it (an address
    /// cannot be rebound; only names can).
    any_address: bool,
}

/// A refusal: the status and the reason.
pub type Refusal = (StatusCode, String);

fn authority(ip: IpAddr, port: u16) -> String {
    SocketAddr::new(ip, port).to_string()
}

impl Guard {
    pub fn new(bound: SocketAddr) -> Self {
        let port = bound.port();
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
            authority(bound.ip(), port),
        ];
        hosts.dedup();
        Self {
            port,
            hosts,
            any_address: bound.ip().is_unspecified(),
        }
    }

    /// Whether `host` (`name:port`, as in a `Host` header) names this server. A loopback
    /// name without a port is taken too: no other site can be called that.
    fn names_us(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        if self.hosts.contains(&host) {
            return true;
        }
        if self
            .hosts
            .iter()
            .any(|h| h.strip_suffix(&format!(":{}", self.port)) == Some(host.as_str()))
        {
            return true;
        }
        self.any_address && host.parse::<SocketAddr>().is_ok_and(|a| a.port() == self.port)
    }

    /// Refuses what does not come from this server's own pages or a local client.
    pub fn check(&self, method: &Method, headers: &HeaderMap, what: &str) -> Result<(), Refusal> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !self.names_us(host) {
            return Err((
                StatusCode::FORBIDDEN,
                format!(
                    "the {what} answers only requests addressed to it by its own address (Host {}), not {}",
                    self.hosts[0],
                    if host.is_empty() {
                        "no Host".to_owned()
                    } else {
                        format!("Host `{}`", shown(host))
                    }
                ),
            ));
        }
        let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if safe {
            return Ok(());
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let ours = origin
                .strip_prefix("http://")
                .is_some_and(|authority| self.names_us(authority));
            if !ours {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!(
                        "the {what} refuses {method} requests from another origin (`{}`)",
                        shown(origin)
                    ),
                ));
            }
        }
        if let Some(kind) = headers.get(header::CONTENT_TYPE) {
            let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = kind.split(';').next().unwrap_or("").trim();
            if matches!(
                essence,
                "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
            ) {
                return Err((
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("the {what} does not accept `{essence}` bodies: send application/json"),
                ));
            }
        }
        Ok(())
    }
}

/// A header value as shown in an answer: printable, and short.
fn shown(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_its_own_names_and_origins() {
        let guard = Guard::new("127.0.0.1:8081".parse().unwrap());
        let get = |host: &str| guard.check(&Method::GET, &headers(&[("host", host)]), "registry");
        for ok in ["127.0.0.1:8081", "localhost:8081", "LOCALHOST:8081", "[::1]:8081"] {
            assert!(get(ok).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example:8081",
            "127.0.0.1:8082",
            "evil.example",
            "127.0.0.1.nip.io:8081",
            "",
        ] {
            assert_eq!(get(bad).unwrap_err().0, StatusCode::FORBIDDEN, "{bad}");
        }
        assert!(
            get("localhost").is_ok() && get("127.0.0.1").is_ok(),
            "a loopback name without its port"
        );
        assert!(guard.check(&Method::GET, &HeaderMap::new(), "registry").is_err());
        let post = |pairs: &[(&'static str, &str)]| guard.check(&Method::POST, &headers(pairs), "registry");
        assert!(post(&[("host", "127.0.0.1:8081"), ("origin", "http://127.0.0.1:8081")]).is_ok());
        assert!(post(&[("host", "127.0.0.1:8081"), ("content-type", "application/json")]).is_ok());
        assert_eq!(
            post(&[("host", "127.0.0.1:8081"), ("origin", "http://evil.example")])
                .unwrap_err()
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            post(&[("host", "127.0.0.1:8081"), ("origin", "null")]).unwrap_err().0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            post(&[("host", "127.0.0.1:8081"), ("content-type", "text/plain;charset=UTF-8")])
                .unwrap_err()
                .0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        // A user who set `dashboard.bind_address` to every interface: the guard then takes
        // any address literal on the port, and still no name.
        let wildcard = Guard::new("0.0.0.0:3000".parse().unwrap());
        assert!(
            wildcard
                .check(&Method::GET, &headers(&[("host", "192.168.1.20:3000")]), "dashboard")
                .is_ok()
        );
        assert!(
            wildcard
                .check(&Method::GET, &headers(&[("host", "rebound.example:3000")]), "dashboard")
                .is_err()
        );
    }
}
