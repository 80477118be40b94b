//! The session's `SET` options the engine acts on, parsed once, when the `SET` runs: a value
//! that does not parse fails that statement (at its line), not a later query.

use std::time::Duration;

use crate::error::EngineError;

/// What the statements so far have `SET`.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// `table.exec.state.ttl`: state untouched this long is dropped (Flink's idle state
    /// retention); `None` keeps state forever.
    pub state_ttl: Option<Duration>,
    /// `table.exec.source.idle-timeout`: a source partition silent this long holds no
    /// watermark back; `None` never marks one idle.
    pub idle_timeout: Option<Duration>,
    /// `table.local-time-zone`: where functions of local time (UNIX_TIMESTAMP, FROM_UNIXTIME)
    /// read and write wall-clock times; `None` is UTC.
    pub time_zone: Option<String>,
}

impl SessionOptions {
    /// The session's time zone, as an IANA name or an offset (`UTC` by default).
    pub fn time_zone(&self) -> &str {
        self.time_zone.as_deref().unwrap_or("UTC")
    }
}

impl SessionOptions {
    /// Applies `SET key = value`; keys the engine does not act on are accepted and ignored,
    /// as they configure Flink itself (checkpoints, the planner, ...).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), EngineError> {
        match key {
            "table.exec.state.ttl" => self.state_ttl = nonzero(duration(key, value)?),
            "table.exec.source.idle-timeout" => self.idle_timeout = nonzero(duration(key, value)?),
            "table.local-time-zone" => {
                value.parse::<datafusion::arrow::array::timezone::Tz>().map_err(|_| {
                    EngineError::Invalid(format!(
                        "'{key}' = '{value}' is no time zone (such as 'UTC', 'Europe/Berlin')"
                    ))
                })?;
                self.time_zone = Some(value.to_owned());
            }
            _ => {}
        }
        Ok(())
    }

    /// `RESET key`: the option's default again (`RESET` alone resets every option).
    pub fn reset(&mut self, key: Option<&str>) {
        match key {
            None => *self = Self::default(),
            Some("table.exec.state.ttl") => self.state_ttl = None,
            Some("table.exec.source.idle-timeout") => self.idle_timeout = None,
            Some("table.local-time-zone") => self.time_zone = None,
            Some(_) => {}
        }
    }
}

/// Flink: a zero duration turns the feature off.
fn nonzero(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

fn duration(key: &str, value: &str) -> Result<Duration, EngineError> {
    parse_duration(value).ok_or_else(|| {
        EngineError::Invalid(format!(
            "'{key}' = '{value}' is not a duration (such as '1 h', '30 min', '10 s', '500 ms')"
        ))
    })
}

/// A duration as Flink's configuration writes it (`1 h`, `10 min`, `500 ms`); a bare number
/// is milliseconds, as in Flink.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(millis) = text.parse::<u64>() {
        return Some(Duration::from_millis(millis));
    }
    text.parse::<pipegen_config::units::Duration>().ok().map(|d| d.as_std())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_durations() {
        assert_eq!(
            parse_duration("3600000"),
            Some(Duration::from_secs(3_600)),
            "bare: milliseconds"
        );
        assert_eq!(parse_duration("1 h"), Some(Duration::from_secs(3_600)));
        assert_eq!(parse_duration("10 min"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("ten minutes"), None);
    }

    #[test]
    fn a_value_that_is_no_duration_fails_its_set() {
        let mut options = SessionOptions::default();
        let error = options.set("table.exec.state.ttl", "soon").unwrap_err().to_string();
        assert!(
            error.contains("'table.exec.state.ttl' = 'soon' is not a duration"),
            "{error}"
        );
        options.set("table.exec.state.ttl", "0").unwrap();
        assert_eq!(options.state_ttl, None, "zero: state never expires");
        options.set("table.exec.source.idle-timeout", "5 s").unwrap();
        assert_eq!(options.idle_timeout, Some(Duration::from_secs(5)));
        options.reset(Some("table.exec.source.idle-timeout"));
        assert_eq!(options.idle_timeout, None);
    }
}
