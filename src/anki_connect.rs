//! A small client for AnkiConnect (the add-on that lets programs drive a running Anki over HTTP),
//! so `deckforge push` can talk to Anki; every way the conversation can fail is one clear error.
//!
//! The protocol: one JSON object `{"action", "version": 6, "params"}` POSTed as
//! `application/json`, answered by `{"result", "error"}`.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

/// The protocol version deckforge speaks; older add-ons lack the actions push needs.
pub(crate) const API_VERSION: u64 = 6;

/// Where AnkiConnect listens unless configured otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8765";

/// The add-on's code on AnkiWeb, for the install hint.
const ADDON_CODE: &str = "2055492159";

/// Why a conversation with AnkiConnect failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// Nothing listens at the address: Anki is not running, or runs without the add-on.
    NotRunning { url: String },
    /// Something answered, but not as AnkiConnect does.
    NotAnkiConnect { url: String, detail: String },
    /// The add-on speaks an older protocol than `API_VERSION`.
    TooOld { url: String, version: u64 },
    /// The add-on refused access (an API key, or a permission prompt answered "no").
    PermissionDenied { url: String, detail: String },
    /// No answer within the time allowed: Anki may be showing a dialog, or busy.
    Timeout { url: String, seconds: u64 },
    /// The add-on answered an action with an error.
    Action { action: String, message: String },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::NotRunning { url } => write!(
                f,
                "nothing answers at {url}: start Anki, and install the AnkiConnect add-on \
                 (Tools > Add-ons > Get Add-ons, code {ADDON_CODE}) if it is not installed; \
                 pass --url if it listens elsewhere"
            ),
            ConnectError::NotAnkiConnect { url, detail } => write!(
                f,
                "{url} answers, but not as AnkiConnect ({detail}): is another program using \
                 the port? Install the AnkiConnect add-on (code {ADDON_CODE}) or pass --url"
            ),
            ConnectError::TooOld { url, version } => write!(
                f,
                "the AnkiConnect add-on at {url} speaks version {version}; deckforge needs \
                 version {API_VERSION}: update it (Tools > Add-ons > Check for Updates)"
            ),
            ConnectError::PermissionDenied { url, detail } => write!(
                f,
                "AnkiConnect at {url} refused access ({detail}): allow deckforge when Anki \
                 asks, or check the add-on's apiKey and webCorsOriginList settings"
            ),
            ConnectError::Timeout { url, seconds } => write!(
                f,
                "AnkiConnect at {url} did not answer within {seconds} s: is Anki showing a \
                 dialog, or busy syncing? Try again, or raise --timeout"
            ),
            ConnectError::Action { action, message } => {
                write!(f, "Anki refused `{action}`: {message}")
            }
        }
    }
}

impl std::error::Error for ConnectError {}

/// A connection to one AnkiConnect address.
pub struct Client {
    url: String,
    agent: ureq::Agent,
    timeout: Duration,
}

impl Client {
    /// A client for `url`, failing any request that takes longer than `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            // Status codes are AnkiConnect's way of refusing (403), so they are read, not raised.
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            url: url.trim_end_matches('/').to_string(),
            agent,
            timeout,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Checks that AnkiConnect answers and speaks `API_VERSION` or later; returns its version.
    pub fn check_version(&self) -> Result<u64, ConnectError> {
        let version = self.request("version", json!({}))?;
        let version = version
            .as_u64()
            .ok_or_else(|| ConnectError::NotAnkiConnect {
                url: self.url.clone(),
                detail: format!("`version` answered {version}"),
            })?;
        if version < API_VERSION {
            return Err(ConnectError::TooOld {
                url: self.url.clone(),
                version,
            });
        }
        Ok(version)
    }

    /// Runs one action and returns its `result`.
    pub fn request(&self, action: &str, params: Value) -> Result<Value, ConnectError> {
        let body = json!({"action": action, "version": API_VERSION, "params": params}).to_string();
        let sent = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body.as_str());
        let mut response = sent.map_err(|error| self.transport_error(error))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .map_err(|error| self.transport_error(error))?;
        self.answer(action, status, &text)
    }

    /// The `result` of an answer, or what was wrong with it.
    fn answer(&self, action: &str, status: u16, text: &str) -> Result<Value, ConnectError> {
        let not_anki = |detail: String| ConnectError::NotAnkiConnect {
            url: self.url.clone(),
            detail,
        };
        if status == 401 || status == 403 {
            return Err(ConnectError::PermissionDenied {
                url: self.url.clone(),
                detail: format!("HTTP {status}"),
            });
        }
        let value: Value = serde_json::from_str(text).map_err(|_| {
            not_anki(format!(
                "HTTP {status}, {}",
                text.chars().take(80).collect::<String>().trim()
            ))
        })?;
        let Some(object) = value.as_object().filter(|o| o.contains_key("result")) else {
            return Err(not_anki(format!(
                "HTTP {status}, no `result` in the answer"
            )));
        };
        match object.get("error") {
            None | Some(Value::Null) => Ok(object["result"].clone()),
            Some(error) => {
                let message = error
                    .as_str()
                    .map_or_else(|| error.to_string(), str::to_string);
                let lower = message.to_lowercase();
                if lower.contains("api key") || lower.contains("permission") {
                    return Err(ConnectError::PermissionDenied {
                        url: self.url.clone(),
                        detail: message,
                    });
                }
                Err(ConnectError::Action {
                    action: action.to_string(),
                    message,
                })
            }
        }
    }

    fn transport_error(&self, error: ureq::Error) -> ConnectError {
        use std::io::ErrorKind;
        let url = self.url.clone();
        match error {
            ureq::Error::Timeout(_) => ConnectError::Timeout {
                url,
                seconds: self.timeout.as_secs().max(1),
            },
            ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => ConnectError::Timeout {
                url,
                seconds: self.timeout.as_secs().max(1),
            },
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    ErrorKind::ConnectionRefused
                        | ErrorKind::ConnectionReset
                        | ErrorKind::AddrNotAvailable
                ) =>
            {
                ConnectError::NotRunning { url }
            }
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                ConnectError::NotRunning { url }
            }
            other => ConnectError::NotAnkiConnect {
                url,
                detail: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new("http://127.0.0.1:9/", Duration::from_secs(1))
    }

    #[test]
    fn answers_are_read_by_their_envelope() {
        let c = client();
        assert_eq!(
            c.answer("version", 200, r#"{"result": 6, "error": null}"#),
            Ok(json!(6))
        );
        assert_eq!(
            c.answer("deleteNotes", 200, r#"{"result": null, "error": "boom"}"#),
            Err(ConnectError::Action {
                action: "deleteNotes".into(),
                message: "boom".into()
            })
        );
        assert!(matches!(
            c.answer(
                "version",
                200,
                r#"{"result": null, "error": "valid api key must be provided"}"#
            ),
            Err(ConnectError::PermissionDenied { .. })
        ));
        assert!(matches!(
            c.answer("version", 403, ""),
            Err(ConnectError::PermissionDenied { .. })
        ));
        assert!(matches!(
            c.answer("version", 200, "<html>hello</html>"),
            Err(ConnectError::NotAnkiConnect { .. })
        ));
        assert!(matches!(
            c.answer("version", 200, "6"),
            Err(ConnectError::NotAnkiConnect { .. })
        ));
    }

    #[test]
    fn the_url_loses_its_trailing_slash() {
        assert_eq!(client().url(), "http://127.0.0.1:9");
    }
}
