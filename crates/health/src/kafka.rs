//! Kafka: a TCP connection and an ApiVersions request (the first thing every Kafka client
//! sends), which any Kafka-protocol broker answers.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::Probe;

const API_VERSIONS: i16 = 18;
const CORRELATION_ID: i32 = 0x5049_5045; // "PIPE"
const CLIENT_ID: &[u8] = b"pipegen-probe";

/// Probes each bootstrap server; succeeds when one of them answers as a Kafka broker.
pub fn probe_kafka(bootstrap_servers: &str, timeout: Duration) -> Probe {
    let started = Instant::now();
    let mut failures = Vec::new();
    for server in bootstrap_servers.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match api_versions(server, timeout) {
            Ok(count) => {
                return Probe {
                    part: "Kafka",
                    target: bootstrap_servers.to_owned(),
                    outcome: Ok(format!("broker {server} answered ApiVersions ({count} APIs)")),
                    elapsed: started.elapsed(),
                };
            }
            Err(e) => failures.push(format!("{server}: {e}")),
        }
    }
    if failures.is_empty() {
        failures.push("no bootstrap server given".to_owned());
    }
    Probe {
        part: "Kafka",
        target: bootstrap_servers.to_owned(),
        outcome: Err(failures.join("; ")),
        elapsed: started.elapsed(),
    }
}

/// Sends ApiVersions v0 and returns how many APIs the broker lists.
fn api_versions(server: &str, timeout: Duration) -> Result<usize, String> {
    let address = server
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve: {e}"))?
        .next()
        .ok_or("cannot resolve: no address")?;
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;

    let mut request = Vec::new();
    request.extend_from_slice(&API_VERSIONS.to_be_bytes());
    request.extend_from_slice(&0i16.to_be_bytes()); // version 0: every broker supports it
    request.extend_from_slice(&CORRELATION_ID.to_be_bytes());
    request.extend_from_slice(&(CLIENT_ID.len() as i16).to_be_bytes());
    request.extend_from_slice(CLIENT_ID);
    let mut framed = (request.len() as i32).to_be_bytes().to_vec();
    framed.extend_from_slice(&request);
    stream.write_all(&framed).map_err(|e| format!("cannot send: {e}"))?;

    let mut size = [0u8; 4];
    stream.read_exact(&mut size).map_err(|e| not_kafka(&e))?;
    let size = i32::from_be_bytes(size);
    if !(10..=1 << 20).contains(&size) {
        return Err(format!("answered with a {size}-byte frame; is this a Kafka broker?"));
    }
    let mut body = vec![0u8; size as usize];
    stream.read_exact(&mut body).map_err(|e| not_kafka(&e))?;
    parse_api_versions(&body)
}

fn not_kafka(e: &std::io::Error) -> String {
    format!("no Kafka answer ({e}); is this a Kafka broker's address?")
}

fn parse_api_versions(body: &[u8]) -> Result<usize, String> {
    let read_i16 = |at: usize| body.get(at..at + 2).map(|b| i16::from_be_bytes([b[0], b[1]]));
    let read_i32 = |at: usize| {
        body.get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if read_i32(0) != Some(CORRELATION_ID) {
        return Err("answered, but not with a Kafka response".to_owned());
    }
    // 35 UNSUPPORTED_VERSION still lists what the broker supports: it is a broker.
    match read_i16(4) {
        Some(0) | Some(35) => {}
        Some(code) => return Err(format!("ApiVersions failed with Kafka error code {code}")),
        None => return Err("truncated Kafka response".to_owned()),
    }
    let count = read_i32(6).ok_or("truncated Kafka response")?;
    usize::try_from(count).map_err(|_| "malformed Kafka response".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_broker_answer() {
        let mut body = CORRELATION_ID.to_be_bytes().to_vec();
        body.extend_from_slice(&0i16.to_be_bytes());
        body.extend_from_slice(&2i32.to_be_bytes());
        body.extend_from_slice(&[0, 0, 0, 0, 0, 9, 0, 1, 0, 0, 0, 12]);
        assert_eq!(parse_api_versions(&body), Ok(2));
        body[5] = 7;
        assert!(parse_api_versions(&body).unwrap_err().contains("error code 7"));
        assert!(parse_api_versions(&[1, 2, 3]).is_err());
    }

    #[test]
    fn a_closed_port_fails_fast_with_the_address() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let probe = probe_kafka(&format!("127.0.0.1:{port}"), Duration::from_secs(2));
        let error = probe.outcome.unwrap_err();
        assert!(
            error.contains(&format!("127.0.0.1:{port}")) && error.contains("cannot connect"),
            "{error}"
        );
        assert!(probe.elapsed < Duration::from_secs(2));
    }
}
